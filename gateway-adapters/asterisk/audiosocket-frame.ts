// The AudioSocket wire format, as Asterisk 22's res_audiosocket.c reads and writes it:
//
//    0                   1                   2                   3
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |     kind      |   payload length (uint16, network order)      |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  payload ...                                                  |
//
// Kinds (include/asterisk/res_audiosocket.h): 0x00 hangup (length 0), 0x01 the channel's UUID
// (16 raw bytes, first message from Asterisk), 0x03 one DTMF digit (ASCII), 0x10 signed linear
// 8 kHz audio in host order (memcpy of the frame: little-endian on every platform Asterisk ships
// for; 0x11–0x18 are slin12…slin192, never sent for the `slin` format Parley asks for), 0xff error.
// Hand-written because no maintained npm package implements it; it is a 3-byte header.
import { AudioSocketFrameError } from './errors.js';

export const AudioSocketKind = {
  hangup: 0x00,
  uuid: 0x01,
  dtmf: 0x03,
  audio: 0x10,
  error: 0xff,
} as const;
export type AudioSocketKindValue = (typeof AudioSocketKind)[keyof typeof AudioSocketKind];

export const HEADER_BYTES = 3;
export const UUID_BYTES = 16;
// Asterisk writes one frame per message: 20 ms (320 bytes) from a phone, rarely more than a few
// ptimes. One second bounds what a connection may make Parley buffer.
export const MAX_AUDIO_PAYLOAD_BYTES = 16_000;
// 20 ms of slin at 8 kHz: the frame Parley sends, paced by the pump.
export const SLIN8_FRAME_BYTES = 320;

export type AudioSocketFrame =
  | { kind: typeof AudioSocketKind.hangup }
  | { kind: typeof AudioSocketKind.uuid; uuid: string }
  | { kind: typeof AudioSocketKind.dtmf; digit: string }
  // A view into the pushed chunk (or a copy when the frame spanned reads).
  | { kind: typeof AudioSocketKind.audio; pcm: Uint8Array }
  | { kind: typeof AudioSocketKind.error; code: number };

// Largest payload each kind may carry; a kind not here is refused before its payload is read.
const maxPayloadBytes = new Map<number, number>([
  [AudioSocketKind.hangup, 0],
  [AudioSocketKind.uuid, UUID_BYTES],
  [AudioSocketKind.dtmf, 1],
  [AudioSocketKind.audio, MAX_AUDIO_PAYLOAD_BYTES],
  [AudioSocketKind.error, 1],
]);

// The payload length `kind` may announce; refused before any of its payload is buffered.
function checkHeader(kind: number, length: number): number {
  const max = maxPayloadBytes.get(kind);
  if (max === undefined) throw new AudioSocketFrameError('unknown_type', `message kind 0x${kind.toString(16).padStart(2, '0')}`);
  if (length > max) throw new AudioSocketFrameError('oversize', `kind 0x${kind.toString(16)} announces ${length} bytes, at most ${max}`);
  return length;
}

function uuidOf(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function frameOf(kind: number, payload: Uint8Array): AudioSocketFrame {
  switch (kind) {
    case AudioSocketKind.hangup:
      return { kind };
    case AudioSocketKind.uuid:
      if (payload.length !== UUID_BYTES) throw new AudioSocketFrameError('bad_uuid', `UUID message of ${payload.length} bytes`);
      return { kind, uuid: uuidOf(payload) };
    case AudioSocketKind.dtmf: {
      const digit = String.fromCharCode(payload[0] ?? 0);
      if (payload.length !== 1 || !/^[0-9*#A-D]$/.test(digit)) throw new AudioSocketFrameError('bad_dtmf', 'DTMF message without one digit');
      return { kind, digit };
    }
    case AudioSocketKind.audio:
      // res_audiosocket refuses a zero length; an odd one would split a sample.
      if (payload.length === 0 || payload.length % 2 !== 0) throw new AudioSocketFrameError('bad_audio_length', `audio message of ${payload.length} bytes`);
      return { kind, pcm: payload };
    default:
      return { kind: AudioSocketKind.error, code: payload[0] ?? 0 };
  }
}

// Splits a TCP byte stream into frames. A frame wholly inside a pushed chunk is a view into that
// chunk (no copy); only a frame split across reads is assembled in the connection's one buffer of
// the largest frame, and copied out when complete.
export class AudioSocketDecoder {
  private readonly pending = new Uint8Array(HEADER_BYTES + MAX_AUDIO_PAYLOAD_BYTES);
  private pendingBytes = 0;

  // Bytes of an unfinished frame: non-zero when the stream ends means a truncated frame.
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  // Every whole frame in `chunk` (plus what earlier chunks left), in order. Throws
  // AudioSocketFrameError at the first frame that breaks the format; the stream is then unusable.
  push(chunk: Uint8Array): AudioSocketFrame[] {
    const frames: AudioSocketFrame[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.pendingBytes === 0 && chunk.length - offset >= HEADER_BYTES) {
        const end = offset + HEADER_BYTES + checkHeader(chunk[offset]!, (chunk[offset + 1]! << 8) | chunk[offset + 2]!);
        if (end <= chunk.length) {
          frames.push(frameOf(chunk[offset]!, chunk.subarray(offset + HEADER_BYTES, end)));
          offset = end;
          continue;
        }
      }
      // A frame split across reads: complete the header, then the payload its length announces.
      const want = this.pendingBytes < HEADER_BYTES ? HEADER_BYTES : HEADER_BYTES + this.payloadLength();
      const take = Math.min(want - this.pendingBytes, chunk.length - offset);
      this.pending.set(chunk.subarray(offset, offset + take), this.pendingBytes);
      this.pendingBytes += take;
      offset += take;
      if (this.pendingBytes === HEADER_BYTES) checkHeader(this.pending[0]!, this.payloadLength());
      if (this.pendingBytes >= HEADER_BYTES && this.pendingBytes === HEADER_BYTES + this.payloadLength()) {
        frames.push(frameOf(this.pending[0]!, this.pending.slice(HEADER_BYTES, this.pendingBytes)));
        this.pendingBytes = 0;
      }
    }
    return frames;
  }

  private payloadLength(): number {
    return (this.pending[1]! << 8) | this.pending[2]!;
  }
}

// One message: header and payload in a single buffer, so one write per message.
export function encodeFrame(kind: AudioSocketKindValue, payload: Uint8Array = new Uint8Array(0)): Buffer {
  if (payload.length > 0xffff) throw new AudioSocketFrameError('oversize', `payload of ${payload.length} bytes`);
  const frame = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  frame[0] = kind;
  frame.writeUInt16BE(payload.length, 1);
  frame.set(payload, HEADER_BYTES);
  return frame;
}

// Slin audio as 20 ms audio messages, all in one buffer for one socket write per pump; a last
// partial frame goes as it is (Asterisk takes any even length).
export function encodeAudio(pcm: Uint8Array): Buffer {
  const frames = Math.ceil(pcm.length / SLIN8_FRAME_BYTES);
  const out = Buffer.allocUnsafe(pcm.length + frames * HEADER_BYTES);
  let at = 0;
  for (let offset = 0; offset < pcm.length; offset += SLIN8_FRAME_BYTES) {
    const part = pcm.subarray(offset, Math.min(pcm.length, offset + SLIN8_FRAME_BYTES));
    out[at] = AudioSocketKind.audio;
    out.writeUInt16BE(part.length, at + 1);
    out.set(part, at + HEADER_BYTES);
    at += HEADER_BYTES + part.length;
  }
  return out;
}

export const HANGUP_FRAME = encodeFrame(AudioSocketKind.hangup);
// 20 ms of silence (slin zeros), one audio message.
export const SILENCE_FRAME = encodeAudio(new Uint8Array(SLIN8_FRAME_BYTES));

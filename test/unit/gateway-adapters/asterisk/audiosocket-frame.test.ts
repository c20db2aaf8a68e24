import { describe, expect, it } from 'vitest';
import {
  AudioSocketDecoder,
  AudioSocketKind,
  HANGUP_FRAME,
  HEADER_BYTES,
  MAX_AUDIO_PAYLOAD_BYTES,
  SLIN8_FRAME_BYTES,
  encodeAudio,
  encodeFrame,
  type AudioSocketFrame,
} from '../../../../gateway-adapters/asterisk/audiosocket-frame.js';
import { AudioSocketFrameError } from '../../../../gateway-adapters/asterisk/errors.js';
import { seededRandom } from '../../../support/seeded-random.js';

const UUID = '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f';
// What ast_audiosocket_init writes: kind 0x01, length 0x0010, the 16 bytes uuid_parse gives.
const uuidMessage = Buffer.concat([Buffer.from([0x01, 0x00, 0x10]), Buffer.from(UUID.replace(/-/g, ''), 'hex')]);

function reasonOf(bytes: Uint8Array): string | undefined {
  try {
    new AudioSocketDecoder().push(bytes);
  } catch (error) {
    if (error instanceof AudioSocketFrameError) return error.reason;
    throw error;
  }
  return undefined;
}

describe('AudioSocket frames', () => {
  it('decodes the UUID message Asterisk sends first', () => {
    expect(new AudioSocketDecoder().push(uuidMessage)).toEqual([{ kind: AudioSocketKind.uuid, uuid: UUID }]);
  });

  it('reads the length big-endian and the slin payload untouched', () => {
    const pcm = new Uint8Array(0x0140).map((_, i) => i & 0xff);
    const [frame] = new AudioSocketDecoder().push(Buffer.concat([Buffer.from([0x10, 0x01, 0x40]), pcm]));
    expect(frame).toMatchObject({ kind: AudioSocketKind.audio });
    expect(Buffer.from((frame as { pcm: Uint8Array }).pcm)).toEqual(Buffer.from(pcm));
  });

  it('reassembles frames split anywhere across reads, one byte at a time', () => {
    const stream = Buffer.concat([uuidMessage, encodeFrame(AudioSocketKind.dtmf, Buffer.from('5')), encodeAudio(new Uint8Array(640).fill(7)), HANGUP_FRAME]);
    const decoder = new AudioSocketDecoder();
    const kinds: number[] = [];
    for (const byte of stream) for (const frame of decoder.push(Uint8Array.of(byte))) kinds.push(frame.kind);
    expect(kinds).toEqual([0x01, 0x03, 0x10, 0x10, 0x00]);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('decodes DTMF, hangup and error messages', () => {
    const frames = new AudioSocketDecoder().push(Buffer.concat([encodeFrame(AudioSocketKind.dtmf, Buffer.from('#')), HANGUP_FRAME, Buffer.from([0xff, 0x00, 0x01, 0x02])]));
    expect(frames).toEqual<AudioSocketFrame[]>([{ kind: 0x03, digit: '#' }, { kind: 0x00 }, { kind: 0xff, code: 2 }]);
  });

  it('encodes bot audio as 20 ms slin messages in one buffer, a short last one as it is', () => {
    const pcm = new Uint8Array(SLIN8_FRAME_BYTES * 2 + 100).map((_, i) => i % 251);
    const wire = encodeAudio(pcm);
    expect(wire.length).toBe(pcm.length + 3 * HEADER_BYTES);
    expect([...wire.subarray(0, 3)]).toEqual([0x10, 0x01, 0x40]);
    expect([...wire.subarray(646, 649)]).toEqual([0x10, 0x00, 100]);
    const back = new AudioSocketDecoder().push(wire).map((frame) => Buffer.from((frame as { pcm: Uint8Array }).pcm));
    expect(Buffer.concat(back)).toEqual(Buffer.from(pcm));
    expect([...HANGUP_FRAME]).toEqual([0, 0, 0]);
  });

  it('refuses each malformed class with its own reason', () => {
    expect(reasonOf(Uint8Array.of(0x02, 0, 0))).toBe('unknown_type');
    // slin16 audio (0x12) was not negotiated: Parley asks for `slin`.
    expect(reasonOf(Uint8Array.of(0x12, 0, 2, 0, 0))).toBe('unknown_type');
    expect(reasonOf(Uint8Array.of(0x10, 0xff, 0xff))).toBe('oversize');
    expect(reasonOf(Uint8Array.of(0x00, 0, 1, 0))).toBe('oversize');
    expect(reasonOf(Uint8Array.of(0x01, 0, 4, 1, 2, 3, 4))).toBe('bad_uuid');
    expect(reasonOf(Uint8Array.of(0x03, 0, 1, 0x41 + 25))).toBe('bad_dtmf');
    expect(reasonOf(Uint8Array.of(0x10, 0, 0))).toBe('bad_audio_length');
    expect(reasonOf(Uint8Array.of(0x10, 0, 3, 1, 2, 3))).toBe('bad_audio_length');
    expect(reasonOf(encodeAudio(new Uint8Array(MAX_AUDIO_PAYLOAD_BYTES)))).toBeUndefined();
  });

  it('keeps an unfinished frame as buffered bytes (a truncated stream when it ends there)', () => {
    const decoder = new AudioSocketDecoder();
    expect(decoder.push(uuidMessage.subarray(0, 10))).toEqual([]);
    expect(decoder.bufferedBytes).toBe(10);
  });

  it('survives a deterministic mutation fuzz: every input decodes or is refused with a known reason', () => {
    const random = seededRandom(0x5eed);
    const pick = (n: number): number => Math.floor(random() * n);
    const seeds = [
      Buffer.concat([uuidMessage, encodeAudio(new Uint8Array(SLIN8_FRAME_BYTES * 3)), encodeFrame(AudioSocketKind.dtmf, Buffer.from('9'))]),
      Buffer.concat([uuidMessage, HANGUP_FRAME]),
      Buffer.concat([encodeAudio(new Uint8Array(100)), Buffer.from([0xff, 0, 1, 7])]),
    ];
    const reasons = new Map<string, number>();
    let accepted = 0;
    let decodedBytes = 0;
    for (let round = 0; round < 10_000; round++) {
      let input = Buffer.from(seeds[pick(seeds.length)]!);
      for (let flips = 1 + pick(4); flips > 0; flips--) input[pick(input.length)] = pick(256);
      if (pick(4) === 0) input = input.subarray(0, pick(input.length + 1));
      const decoder = new AudioSocketDecoder();
      try {
        // Fed in random slices, as TCP may deliver it.
        for (let offset = 0; offset < input.length; ) {
          const end = Math.min(input.length, offset + 1 + pick(400));
          for (const frame of decoder.push(input.subarray(offset, end))) {
            if (frame.kind === AudioSocketKind.audio) {
              expect(frame.pcm.length % 2).toBe(0);
              expect(frame.pcm.length).toBeLessThanOrEqual(MAX_AUDIO_PAYLOAD_BYTES);
              decodedBytes += frame.pcm.length;
            }
          }
          offset = end;
        }
        expect(decoder.bufferedBytes).toBeLessThanOrEqual(HEADER_BYTES + MAX_AUDIO_PAYLOAD_BYTES);
        accepted++;
      } catch (error) {
        if (!(error instanceof AudioSocketFrameError)) throw error;
        reasons.set(error.reason, (reasons.get(error.reason) ?? 0) + 1);
      }
    }
    expect(accepted).toBeGreaterThan(1000);
    expect(decodedBytes).toBeGreaterThan(0);
    expect([...reasons.keys()].sort()).toEqual(['bad_audio_length', 'bad_dtmf', 'bad_uuid', 'oversize', 'unknown_type']);
  });
});

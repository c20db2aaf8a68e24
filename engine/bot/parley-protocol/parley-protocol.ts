// The Parley bot protocol (docs/bot-protocol.md): caller audio as binary PCM16LE frames at the
// call's rate, events as JSON. `atMs` on events is the caller media time (ms of caller audio sent).
import type { CallInfo } from '../../call/call.js';
import type { CallMedia } from '../../call/call-media.js';
import type { BotCommand, BotWireProtocol, CallEventToBot, WireMessage } from '../bot-wire-protocol.js';
import { MalformedBotMessageError } from '../errors.js';
import { parseJsonEvent } from '../json-event.js';
import { botMessageSchemas, FRAME_MS, MAX_FRAMES_PER_MESSAGE, PARLEY_PROTOCOL_VERSION, type StartMessage } from './parley-messages.js';

export class ParleyProtocol implements BotWireProtocol {
  readonly name = 'parley';
  readonly normalCloseIsHangup = false;
  readonly callerAudioFrames = 'binary';
  private readonly frameBytes: number;
  private callerFrames = 0;
  // The bytes view of the last caller frame: the media engine hands a session the same view tick
  // after tick (MediaSession.callerFrame), so its Buffer is made once, not per frame.
  private lastFrame: Int16Array = new Int16Array(0);
  private lastFrameBytes: Buffer = Buffer.alloc(0);

  constructor(
    private readonly media: CallMedia,
    private readonly info: CallInfo,
  ) {
    this.frameBytes = (media.sampleRateHz / 1000) * FRAME_MS * 2;
  }

  opening(resumed: boolean): WireMessage[] {
    const start: StartMessage = {
      event: 'start',
      version: PARLEY_PROTOCOL_VERSION,
      callId: this.info.callId,
      resumed,
      caller: { source: this.info.source, from: this.info.from, to: this.info.to },
      media: { encoding: 'pcm16le', sampleRateHz: this.media.sampleRateHz, channels: 1, frameMs: FRAME_MS, networkCodec: this.media.networkCodec },
      customParameters: this.info.customParameters ?? {},
    };
    return [JSON.stringify(start)];
  }

  callerAudio(pcm: Int16Array): Buffer {
    this.callerFrames++;
    // A view, not a copy, of a frame in a reused native buffer: ws masks a client frame into a
    // buffer of its own (header and masked payload in one, RFC 6455 section 5.3) before send()
    // returns, so the bytes are taken at once and the frame is left untouched (bot-connection's
    // tests hold ws to both). Int16Array memory is little-endian on every platform Node supports
    // in practice (x64, arm64).
    if (pcm !== this.lastFrame) {
      this.lastFrame = pcm;
      this.lastFrameBytes = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
    }
    return this.lastFrameBytes;
  }

  callEvent(event: CallEventToBot): WireMessage {
    const { type, ...fields } = event;
    return JSON.stringify({ event: type, ...fields, atMs: this.callerFrames * FRAME_MS });
  }

  decode(data: Buffer, isBinary: boolean): BotCommand {
    if (isBinary) return { type: 'audio', pcm: this.audioOf(data) };
    const { event, message } = parseJsonEvent(data.toString('utf8'), botMessageSchemas);
    switch (event) {
      case 'mark':
        return { type: 'mark', name: message.name };
      case 'clear':
        return { type: 'clear' };
      case 'hangup':
        return { type: 'hangup', botReason: message.reason };
      case 'dtmf':
        return { type: 'dtmf', digits: message.digits.toUpperCase() };
    }
  }

  private audioOf(data: Buffer): Int16Array {
    const frames = data.length / this.frameBytes;
    if (!Number.isInteger(frames) || frames < 1 || frames > MAX_FRAMES_PER_MESSAGE) {
      throw new MalformedBotMessageError(
        'payload_size',
        `audio must be 1 to ${MAX_FRAMES_PER_MESSAGE} whole 20 ms frames of ${this.frameBytes} bytes, got ${data.length} bytes`,
      );
    }
    // A view of the message's memory, which may be a slice of a pooled slab other Buffers share
    // (a plain bot socket copies small reads into Buffer's pool): used at once, never kept.
    if (data.byteOffset % 2 === 0) return new Int16Array(data.buffer, data.byteOffset, data.length / 2);
    return new Int16Array(Uint8Array.from(data).buffer);
  }
}

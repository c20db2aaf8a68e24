// Typed face of the native libopus frame codec (native/codec/opus_encoder.h, opus_decoder.h):
// mono voice in 20 ms frames, one crossing per frame, into a new array or (the *Into methods, for
// benches and tools that must not allocate per frame) a caller-supplied one. Decoder errors (malformed packets) throw
// CodecError; loss is handled with conceal() (PLC) or decodeFec(next packet) (in-band FEC).
import { callNative } from '../errors.js';
import { nativeModule } from './addon.js';

export type OpusRate = 8000 | 12000 | 16000 | 24000 | 48000;

export interface OpusEncoderOptions {
  sampleRateHz?: OpusRate; // default 48000
  bitrateBps?: number; // default 32000
  complexity?: number; // 0..10, default 5
  fec?: boolean; // in-band FEC (RFC 6716 2.1.7), default true
  expectedLossPct?: number; // libopus spends FEC bits only when it expects loss; default 10
  forceVoice?: boolean; // OPUS_SIGNAL_VOICE, default true
}

interface NativeEncoder {
  encode(pcm: Int16Array): Uint8Array;
  encodeInto(pcm: Int16Array, out: Uint8Array): number;
  setBitrate(bitrateBps: number): void;
  readonly frameSamples: number;
}

interface NativeDecoder {
  decode(packet: Uint8Array): Int16Array;
  decodeInto(packet: Uint8Array, out: Int16Array): number;
  decodeFec(nextPacket: Uint8Array): Int16Array;
  conceal(): Int16Array;
}

interface OpusModule {
  OpusEncoder: new (options: OpusEncoderOptions) => NativeEncoder;
  OpusDecoder: new (sampleRateHz: number) => NativeDecoder;
}

const native = (): OpusModule => nativeModule<OpusModule>('opus');

export class OpusEncoder {
  private readonly native: NativeEncoder;

  constructor(options: OpusEncoderOptions = {}) {
    const { OpusEncoder: NativeClass } = native();
    this.native = callNative(() => new NativeClass(options));
  }

  // Samples in one 20 ms frame at the encoder's rate (960 at 48 kHz).
  get frameSamples(): number {
    return this.native.frameSamples;
  }

  encode(pcm: Int16Array): Uint8Array {
    return callNative(() => this.native.encode(pcm));
  }

  // Writes the packet to the front of `out` and returns its length in bytes (1275 always suffice,
  // RFC 6716 section 3.4).
  encodeInto(pcm: Int16Array, out: Uint8Array): number {
    return callNative(() => this.native.encodeInto(pcm, out));
  }

  setBitrate(bitrateBps: number): void {
    callNative(() => this.native.setBitrate(bitrateBps));
  }
}

export class OpusDecoder {
  private readonly native: NativeDecoder;

  constructor(readonly sampleRateHz: OpusRate = 48000) {
    const { OpusDecoder: NativeClass } = native();
    this.native = callNative(() => new NativeClass(sampleRateHz));
  }

  decode(packet: Uint8Array): Int16Array {
    return callNative(() => this.native.decode(packet));
  }

  // Writes one frame to the front of `out` (at least frame-sized) and returns its length in samples.
  decodeInto(packet: Uint8Array, out: Int16Array): number {
    return callNative(() => this.native.decodeInto(packet, out));
  }

  // The frame lost just before `nextPacket`, rebuilt from the FEC data it carries (PLC if none).
  decodeFec(nextPacket: Uint8Array): Int16Array {
    return callNative(() => this.native.decodeFec(nextPacket));
  }

  // One frame of packet-loss concealment.
  conceal(): Int16Array {
    return callNative(() => this.native.conceal());
  }
}

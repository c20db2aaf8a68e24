// Typed face of the native Opus frame codec (48 kHz mono voice, native/codec/opus_*): one call
// per 20 ms frame each way, into caller-supplied arrays. The media engine encodes and decodes
// Opus inside its own tick; this face is for tools and benches that need the codec alone.
import { callNative } from '../errors.js';
import { nativeModule } from './addon.js';

export interface OpusCodecOptions {
  bitrateBps?: number;
  complexity?: number;
  fec?: boolean;
}

interface NativeOpusCodec {
  encode(pcm: Int16Array, out: Uint8Array): number;
  decode(packet: Uint8Array, out: Int16Array): number;
}

interface OpusCodecModule {
  OpusCodec: new (options: OpusCodecOptions) => NativeOpusCodec;
}

export class OpusCodec {
  private readonly native: NativeOpusCodec;

  constructor(options: OpusCodecOptions = {}) {
    const { OpusCodec: NativeClass } = nativeModule<OpusCodecModule>('opusCodec');
    this.native = callNative(() => new NativeClass(options));
  }

  // Returns the packet's length in bytes; `out` must hold it (1275 bytes always suffice).
  encode(pcm: Int16Array, out: Uint8Array): number {
    return callNative(() => this.native.encode(pcm, out));
  }

  // Decodes one packet into `out`, whose length is the frame's length in samples.
  decode(packet: Uint8Array, out: Int16Array): number {
    return callNative(() => this.native.decode(packet, out));
  }
}

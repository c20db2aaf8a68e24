// Typed face of the native Transcoder (native/codec/transcoder.h): one encoded 20 ms frame in one
// codec becomes one frame in another, in one JS→native call. A Transcoder carries codec and
// resampler state, so use one per stream and direction.
import { callNative } from '../errors.js';
import { nativeModule } from './addon.js';

// Names as in native/codec/codec_table.cc. L16 is big-endian (RFC 3551 section 4.5.11); opus is
// 48 kHz; G722 is 16 kHz audio, 160 octets per frame.
export const transcoderCodecs = ['PCMU', 'PCMA', 'G722', 'opus', 'L16/8000', 'L16/16000', 'L16/48000'] as const;
export type TranscoderCodec = (typeof transcoderCodecs)[number];

export interface TranscoderOptions {
  from: TranscoderCodec;
  to: TranscoderCodec;
  opusBitrateBps?: number;
  opusComplexity?: number;
  opusFec?: boolean;
}

interface NativeTranscoder {
  transcode(frame: Uint8Array): Uint8Array;
}

interface TranscoderModule {
  Transcoder: new (options: TranscoderOptions) => NativeTranscoder;
}

export class Transcoder {
  private readonly native: NativeTranscoder;

  // Throws UnsupportedError for an unknown codec name, InvalidArgumentError for bad Opus options.
  constructor(readonly options: TranscoderOptions) {
    const { Transcoder: NativeClass } = nativeModule<TranscoderModule>('transcoder');
    this.native = callNative(() => new NativeClass(options));
  }

  // Throws InvalidArgumentError when `frame` is not one 20 ms frame of `from`, CodecError when it
  // cannot be decoded. The result is a new array.
  transcode(frame: Uint8Array): Uint8Array {
    return callNative(() => this.native.transcode(frame));
  }
}

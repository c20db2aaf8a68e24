// Typed face of the native voice activity detector (native/dsp/vad.h), for evaluation and tools:
// a whole buffer in one crossing, one decision per frame back.
import { z } from 'zod';
import { callNative } from '../errors.js';
import { nativeModule } from './addon.js';

export const vadOptionsSchema = z.object({
  sampleRateHz: z.union([z.literal(8000), z.literal(16000), z.literal(24000), z.literal(48000)]).default(16000),
  frameMs: z.union([z.literal(10), z.literal(20), z.literal(30)]).default(20),
  // 0 (most speech kept) .. 3 (fewest noise frames let through), as WebRTC's VAD modes.
  aggressiveness: z.number().int().min(0).max(3).default(2),
  // How long a decision stays "speech" after the last frame that was speech on its own.
  hangoverMs: z.number().int().min(0).max(2000).default(160),
});
export type VadOptions = z.input<typeof vadOptionsSchema>;

export interface VadDecisions {
  // 1 per frame judged speech, hangover included.
  speech: Uint8Array;
  // 1 per frame that is speech on its own (no hangover).
  raw: Uint8Array;
}

interface NativeVad {
  process(pcm: Int16Array): Uint8Array;
}

interface VadModule {
  Vad: new (options: object) => NativeVad;
}

export class Vad {
  readonly frameSamples: number;
  private readonly native: NativeVad;

  constructor(options: VadOptions = {}) {
    const parsed = vadOptionsSchema.parse(options);
    this.frameSamples = (parsed.sampleRateHz / 1000) * parsed.frameMs;
    const { Vad: NativeClass } = nativeModule<VadModule>('vad');
    this.native = callNative(() => new NativeClass(parsed));
  }

  // Runs every whole frame of `pcm` (its length must be a multiple of frameSamples); state
  // carries over between calls, so a stream can be fed in pieces.
  process(pcm: Int16Array): VadDecisions {
    const packed = callNative(() => this.native.process(pcm));
    const speech = new Uint8Array(packed.length);
    const raw = new Uint8Array(packed.length);
    for (let i = 0; i < packed.length; i++) {
      speech[i] = packed[i]! & 1;
      raw[i] = (packed[i]! >> 1) & 1;
    }
    return { speech, raw };
  }
}

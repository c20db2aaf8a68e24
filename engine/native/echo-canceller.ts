// Typed face of the native echo canceller (native/dsp/echo_canceller.h), for tests and
// benchmarks: one call per 20 ms frame, into an output array the caller reuses.
import { z } from 'zod';
import { callNative } from '../errors.js';
import { nativeModule } from './addon.js';

export const echoCancellerOptionsSchema = z.object({
  // The leg's analysis rate: 8 kHz for G.711, 16 kHz otherwise.
  sampleRateHz: z.union([z.literal(8000), z.literal(16000)]).default(8000),
  // Longest bulk delay of the echo path that is searched and followed.
  maxDelayMs: z.number().int().min(0).max(500).default(300),
  // Echo response modelled after the bulk delay.
  tailMs: z.number().int().min(10).max(250).default(120),
  // Residual echo suppression floor in dB; 0 turns residual suppression off.
  suppressionFloorDb: z.number().int().min(-80).max(0).default(-40),
});
export type EchoCancellerOptions = z.input<typeof echoCancellerOptionsSchema>;

export interface EchoCancellerStats {
  // Adopted bulk echo delay, or -1 before one is found.
  delayMs: number;
  // Capture over the linear filter's error power while the reference plays (smoothed), before
  // residual suppression, leaving out the blocks of double talk.
  erleDb: number;
  // Residual echo over echo estimate, as the canceller measures it.
  leakage: number;
  converged: boolean;
  // Times a diverged filter was reset.
  resets: number;
  // Frames with nothing sent within the filter's reach: passed through untouched, not processed.
  bypassedFrames: number;
  // The delay estimator's envelope correlation at the adopted delay (0..1 and a little over).
  delayConfidence: number;
}

interface NativeEchoCanceller {
  process(capture: Int16Array, sent: Int16Array | null, output: Int16Array): void;
  stats(): EchoCancellerStats;
  readonly latencySamples: number;
}

interface EchoCancellerModule {
  EchoCanceller: new (options: object) => NativeEchoCanceller;
}

export class EchoCanceller {
  readonly frameSamples: number;
  // The output lags the capture by this many samples (residual suppression's overlap-add).
  readonly latencySamples: number;
  private readonly native: NativeEchoCanceller;

  constructor(options: EchoCancellerOptions = {}) {
    const parsed = echoCancellerOptionsSchema.parse(options);
    this.frameSamples = parsed.sampleRateHz / 50;
    const { EchoCanceller: NativeClass } = nativeModule<EchoCancellerModule>('echo_canceller');
    this.native = callNative(() => new NativeClass(parsed));
    this.latencySamples = this.native.latencySamples;
  }

  // One 20 ms frame, or a run of whole frames processed one by one: `sent` is what was sent on the
  // leg in the same period (null: nothing was), `capture` what came back; `output` (may be
  // `capture`) receives the cleaned audio.
  process(capture: Int16Array, sent: Int16Array | null, output: Int16Array): void {
    callNative(() => this.native.process(capture, sent, output));
  }

  stats(): EchoCancellerStats {
    return this.native.stats();
  }
}

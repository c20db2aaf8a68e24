// Typed face of the native streaming resampler (native/dsp/resampler.h).
import { callNative } from '../errors.js';
import { nativeModule } from './addon.js';

interface NativeResampler {
  process(input: Int16Array): Int16Array;
  processInto(input: Int16Array, output: Int16Array): number;
  reset(): void;
  readonly delayMs: number;
}

interface ResamplerModule {
  Resampler: new (inputRateHz: number, outputRateHz: number) => NativeResampler;
}

export type ResamplerRate = 8000 | 16000 | 24000 | 48000;

export class Resampler {
  private readonly native: NativeResampler;

  constructor(
    readonly inputRateHz: ResamplerRate | 22050,
    readonly outputRateHz: ResamplerRate,
  ) {
    const { Resampler: NativeClass } = nativeModule<ResamplerModule>('resampler');
    this.native = callNative(() => new NativeClass(inputRateHz, outputRateHz));
  }

  get delayMs(): number {
    return this.native.delayMs;
  }

  process(input: Int16Array): Int16Array {
    return callNative(() => this.native.process(input));
  }

  processInto(input: Int16Array, output: Int16Array): number {
    return callNative(() => this.native.processInto(input, output));
  }

  reset(): void {
    this.native.reset();
  }
}

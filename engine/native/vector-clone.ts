// Which clone of the native hot loops runs on this CPU (native/dsp/vector_clones.h): AVX2 at the
// x86-64-v3 level, or the SSE2 baseline; 'single' where only one is built (not x86-64). Speed
// figures depend on it, and so do the last bits of the echo canceller's float output.
import { nativeModule } from './addon.js';

export type VectorClone = 'x86-64-v3' | 'baseline' | 'single';

export function vectorClone(): VectorClone {
  return nativeModule<{ vectorClone(): VectorClone }>('vector_clone').vectorClone();
}

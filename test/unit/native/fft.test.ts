// The real FFT under the echo canceller, its residual suppressor and the VAD, as a native program
// built with the sanitizers (it sits below the JS boundary): native/test/fft_test.cc. At every
// power-of-two size from 4 to 1024 the forward transform matches a naive DFT in double on random
// input, both faces agree, the inverse undoes the forward and matches a naive inverse DFT on a
// random spectrum, and any range of that inverse's samples alone is the same floats as the whole
// inverse's; sizes that are no power of two, or out of range, are refused.
import { describe, it } from 'vitest';
import { expectNativeChecks } from '../../support/native-checks.js';

describe('Fft', () => {
  it('passes every check of native/test/fft_test.cc under ASan/UBSan', { timeout: 900_000 }, async () => {
    await expectNativeChecks('fft_test', 'fft', 142);
  });
});

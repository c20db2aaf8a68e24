// The echo delay estimator's peak search (native/dsp/first_largest.h), eight running maxima in
// lanes where std::max_element is one chain of compares, as a native program built with the
// sanitizers: native/test/first_largest_test.cc. It gives std::max_element's index on random
// arrays of every length from 0 to 300 and some longer (distinct values, ties, signed zeros,
// infinities), the first of equal largest wherever they sit, and what its header defines for NaN.
import { describe, it } from 'vitest';
import { expectNativeChecks } from '../../support/native-checks.js';

describe('FirstLargest', () => {
  it('passes every check of native/test/first_largest_test.cc under ASan/UBSan', { timeout: 900_000 }, async () => {
    await expectNativeChecks('first_largest_test', 'first-largest', 13);
  });
});

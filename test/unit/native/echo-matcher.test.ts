// The barge-in echo guard's matcher below the JS boundary, as a native program built with the
// sanitizers: native/test/echo_matcher_test.cc. An echo of speech is matched above the threshold
// at its delay over the whole reach and at every leg rate, other speech is not matched; Matches()
// decides as the full search does frame by frame, an echo whose delay steps included; and on
// random calls, silence, full scale, clipping and the ends of the reach, the scores, lags and
// decisions are those of the matcher before its sums were exact and incremental (to the bit
// where the decimation is a power of two).
import { describe, it } from 'vitest';
import { expectNativeChecks } from '../../support/native-checks.js';

describe('echo matcher', () => {
  it('passes every check of native/test/echo_matcher_test.cc under ASan/UBSan', { timeout: 900_000 }, async () => {
    await expectNativeChecks('echo_matcher_test', 'echo-matcher', 60);
  });
});

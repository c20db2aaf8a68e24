// The barge-in echo guard's matcher below the JS boundary, as a native program built with the
// sanitizers: native/test/echo_matcher_test.cc. An echo of speech is matched above the threshold
// at its delay over the whole reach and at every leg rate, other speech is not matched, and a long
// run's scores are the same to the bit as those of the one-lag-at-a-time search before blocks;
// Matches() decides as the full search does frame by frame, an echo whose delay steps included.
import { describe, it } from 'vitest';
import { expectNativeChecks } from '../../support/native-checks.js';

describe('echo matcher', () => {
  it('passes every check of native/test/echo_matcher_test.cc under ASan/UBSan', { timeout: 900_000 }, async () => {
    await expectNativeChecks('echo_matcher_test', 'echo-matcher', 39);
  });
});

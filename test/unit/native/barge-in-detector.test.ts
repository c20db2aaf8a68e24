// Barge-in's echo guard below the JS boundary, as a native program built with the sanitizers:
// native/test/barge_in_detector_test.cc. A caller whose audio resembles the bot's, after a pause
// no echo path leaves on the line, is decided within 160 ms (the guard held them back for good
// before its level test), and the bot's echo alone (40-300 ms late, -6 and -10 dB) never
// interrupts it. The canceller's output is trusted once its ERLE has held 15 dB for 300 ms, not
// as it crosses it, and one loud frame learnt as echo does not take that trust; an ERLE falling
// under 8 dB in one frame (an echo path step) takes it at once. A strong run (the
// caller 28 dB over the echo's bound in bursts between 60 ms pauses) is decided, the same bursts
// 11 dB over it are not. After the caller's turn, babble 10 dB under their level never fires,
// and their own onset 11 dB under it counts.
import { describe, it } from 'vitest';
import { expectNativeChecks } from '../../support/native-checks.js';

describe('barge-in detector', () => {
  it('passes every check of native/test/barge_in_detector_test.cc under ASan/UBSan', { timeout: 900_000 }, async () => {
    await expectNativeChecks('barge_in_detector_test', 'barge-in-detector', 18);
  });
});

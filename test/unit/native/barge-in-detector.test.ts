// Barge-in's echo guard below the JS boundary, as a native program built with the sanitizers:
// native/test/barge_in_detector_test.cc. A caller whose audio resembles the bot's, after a pause
// no echo path leaves on the line, is decided within 160 ms (the guard held them back for good
// before its level test), and the bot's echo alone (40-300 ms late, -6 and -10 dB) never
// interrupts it. The canceller's output is trusted once its ERLE has held 15 dB for 300 ms, not
// as it crosses it.
import { describe, it } from 'vitest';
import { expectNativeChecks } from '../../support/native-checks.js';

describe('barge-in detector', () => {
  it('passes every check of native/test/barge_in_detector_test.cc under ASan/UBSan', { timeout: 900_000 }, async () => {
    await expectNativeChecks('barge_in_detector_test', 'barge-in-detector', 11);
  });
});

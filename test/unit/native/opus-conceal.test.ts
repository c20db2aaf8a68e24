// Opus concealment asked for in any length, as a native program built with ASan/UBSan:
// native/test/opus_conceal_test.cc. libopus conceals in 2.5 ms steps and SILK in 10 ms frames
// only; the jitter buffer asks for whatever its 20 ms frame still needs.
import { describe, it } from 'vitest';
import { expectNativeChecks } from '../../support/native-checks.js';

describe('Opus concealment of any length', () => {
  it('passes every check of native/test/opus_conceal_test.cc under ASan/UBSan', { timeout: 900_000 }, async () => {
    await expectNativeChecks('opus_conceal_test', 'opus-conceal', 4);
  });
});

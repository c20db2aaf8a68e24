// What follows a moving echo path below the canceller, as a native program built with the
// sanitizers (EchoStepDetector and EchoDriftTracker sit below the JS boundary, inside the
// canceller): native/test/echo_path_moves_test.cc. A step of whole blocks or part of one,
// either way, is found to the sample within the blocks it needs, a still echo and the caller talking are no step, and a sliding
// response's rate is measured to a twentieth, while a still one and a hop of its peak give none.
import { describe, it } from 'vitest';
import { expectNativeChecks } from '../../support/native-checks.js';

describe('echo path steps and drift below the canceller', () => {
  it('passes every check of native/test/echo_path_moves_test.cc under ASan/UBSan', { timeout: 900_000 }, async () => {
    await expectNativeChecks('echo_path_moves_test', 'echo-path-moves', 26);
  });
});

// What follows a moving echo path below the canceller, as a native program built with the
// sanitizers (EchoStepDetector and EchoDriftTracker sit below the JS boundary, inside the
// canceller): native/test/echo_path_moves_test.cc. A step of whole blocks either way is found
// within the blocks it needs, a still echo and the caller talking are no step, and a sliding
// response's rate is measured to a twentieth, while a still one and a hop of its peak give none.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { buildSanitized, sanitizerEnv } from '../../fuzz/sanitized-build.js';

describe('echo path steps and drift below the canceller', () => {
  it('passes every check of native/test/echo_path_moves_test.cc under ASan/UBSan', { timeout: 900_000 }, async () => {
    const binary = await buildSanitized('echo_path_moves_test', ['native/test/echo_path_moves_test.cc']);
    const result = await promisify(execFile)(binary, [], { env: sanitizerEnv }).catch((error: { stdout?: string; stderr?: string }) => {
      expect.fail(`echo_path_moves_test failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    });
    const lines = result.stdout.trim().split('\n');
    expect(lines.filter((line) => line.startsWith('FAIL'))).toEqual([]);
    expect(lines.filter((line) => line.startsWith('ok')).length).toBeGreaterThanOrEqual(10);
    expect(lines.at(-1)).toBe('echo-path-moves: 0 failures');
  });
});

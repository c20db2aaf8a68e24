// The barge-in echo guard's matcher below the JS boundary, as a native program built with the
// sanitizers: native/test/echo_matcher_test.cc. An echo of speech is matched above the threshold
// at its delay over the whole reach and at every leg rate, other speech is not matched, and a long
// run's scores are the same to the bit as those of the one-lag-at-a-time search before blocks.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { buildSanitized, sanitizerEnv } from '../../fuzz/sanitized-build.js';

describe('echo matcher', () => {
  it('passes every check of native/test/echo_matcher_test.cc under ASan/UBSan', { timeout: 900_000 }, async () => {
    const binary = await buildSanitized('echo_matcher_test', ['native/test/echo_matcher_test.cc']);
    const result = await promisify(execFile)(binary, [], { env: sanitizerEnv }).catch((error: { stdout?: string; stderr?: string }) => {
      expect.fail(`echo_matcher_test failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    });
    const lines = result.stdout.trim().split('\n');
    expect(lines.filter((line) => line.startsWith('FAIL'))).toEqual([]);
    expect(lines.filter((line) => line.startsWith('ok')).length).toBe(34);
    expect(lines.at(-1)).toBe('echo-matcher: 0 failures');
  });
});

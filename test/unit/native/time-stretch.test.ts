// Time-scale modification and comfort noise on signals, as a native program built with the
// sanitizers (TimeStretch and ComfortNoise sit below the JS boundary, inside the leg's playout):
// native/test/time_stretch_test.cc. A stretched tone keeps its pitch, the output length changes
// by the lag taken, joins have no step above the signal's own, loud noise is left alone, merge
// removes the step where a packet returns, and RFC 3389 noise has the level and shape it says.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { buildSanitized, sanitizerEnv } from '../../fuzz/sanitized-build.js';

describe('time stretch and comfort noise on signals', () => {
  it('passes every signal check of native/test/time_stretch_test.cc under ASan/UBSan', { timeout: 900_000 }, async () => {
    const binary = await buildSanitized('time_stretch_test', ['native/test/time_stretch_test.cc']);
    const result = await promisify(execFile)(binary, [], { env: sanitizerEnv }).catch((error: { stdout?: string; stderr?: string }) => {
      expect.fail(`time_stretch_test failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    });
    const lines = result.stdout.trim().split('\n');
    expect(lines.filter((line) => line.startsWith('FAIL'))).toEqual([]);
    expect(lines.filter((line) => line.startsWith('ok')).length).toBeGreaterThanOrEqual(20);
    expect(lines.at(-1)).toBe('time-stretch: 0 failures');
  });
});

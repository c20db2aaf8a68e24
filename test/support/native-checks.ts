// Runs a native signal test program (native/test/*_test.cc, its checks from native/test/check.h)
// built with ASan/UBSan, and fails the calling test with the program's output unless every check
// passed and at least `minimumOk` of them ran.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { buildSanitized, sanitizerEnv } from '../fuzz/sanitized-build.js';

export async function expectNativeChecks(name: string, summary: string, minimumOk: number): Promise<void> {
  const binary = await buildSanitized(name, [`native/test/${name}.cc`]);
  const result = await promisify(execFile)(binary, [], { env: sanitizerEnv }).catch((error: { stdout?: string; stderr?: string }) => {
    expect.fail(`${name} failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
  });
  const lines = result.stdout.trim().split('\n');
  expect(lines.filter((line) => line.startsWith('FAIL'))).toEqual([]);
  expect(lines.filter((line) => line.startsWith('ok')).length).toBeGreaterThanOrEqual(minimumOk);
  expect(lines.at(-1)).toBe(`${summary}: 0 failures`);
}

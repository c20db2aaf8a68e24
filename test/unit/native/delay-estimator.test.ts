// The jitter histogram over 2.5 hours of media time, as a native program (the estimator is below
// the JS boundary, and a session fed from JS for that long would take minutes): see
// native/test/delay_estimator_test.cc. Built with the sanitizers by test/fuzz/sanitized-build.ts.
// The spike floor through recurring spikes of different heights: native/test/delay_estimator_spikes_test.cc.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { buildSanitized, sanitizerEnv } from '../../fuzz/sanitized-build.js';
import { expectNativeChecks } from '../../support/native-checks.js';

describe('delay estimator histogram', () => {
  it('never decays into subnormal floats over 2.5 h of packets, and gives the same target as an hour before', { timeout: 900_000 }, async () => {
    const binary = await buildSanitized('delay_estimator_test', ['native/test/delay_estimator_test.cc']);
    const result = await promisify(execFile)(binary, [], { env: sanitizerEnv }).catch((error: { stdout?: string; stderr?: string }) => {
      expect.fail(`delay_estimator_test failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    });
    expect(result.stdout).toMatch(/MXCSR denormal 0 underflow 0/);
  });
});

describe('delay estimator spike floor', () => {
  it('keeps half the mean of the two highest of the last four spikes: smaller spikes after larger ones, one outlier, one long before', { timeout: 900_000 }, async () => {
    await expectNativeChecks('delay_estimator_spikes_test', 'delay-estimator-spikes', 4);
  });
});

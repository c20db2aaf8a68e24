// RTCP's packet layouts and arithmetic as a native program (the parser, writer and statistics are
// below the JS boundary): see native/test/rtcp_test.cc. Built with the sanitizers by
// test/fuzz/sanitized-build.ts.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { buildSanitized, sanitizerEnv } from '../../fuzz/sanitized-build.js';

describe('RTCP sender and receiver reports (RFC 3550)', () => {
  it('writes and reads SR/RR as the RFC lays them out, and computes loss, jitter, RTT and the report interval as it says', { timeout: 900_000 }, async () => {
    const binary = await buildSanitized('rtcp_test', ['native/test/rtcp_test.cc']);
    const result = await promisify(execFile)(binary, [], { env: sanitizerEnv }).catch((error: { stdout?: string; stderr?: string }) => {
      expect.fail(`rtcp_test failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    });
    expect(result.stdout).toContain('rtcp: 0 failed checks');
  });
});

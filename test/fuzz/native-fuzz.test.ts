// The native parsers and processors under ASan + UBSan, from committed seed corpora
// (native/fuzz/corpus/<harness>/) plus a fixed number of deterministic mutations each
// (native/fuzz/driver/mutation_driver.cc). A sanitizer finding, a failed harness check or a crash
// fails the test with the sanitizer's report and the failing input. The ingest corpus's *_leap seeds
// jump the arrival clock years ahead, to the addon's 2^53 µs bound: µs <-> RTP tick products
// overflowed int64 there (issue 13: TimelineMapper::Map's arrival gap, JitterBuffer::Next's playout
// position) before native/media/time_scale.h formed them in 128 bits.
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSanitized, sanitizedDir, sanitizerEnv } from './sanitized-build.js';

const corpus = (harness: string): string => join(import.meta.dirname, '..', '..', 'native', 'fuzz', 'corpus', harness);

// Mutations per harness: sized so the whole file runs in well under a minute on two loaded cores.
const harnesses = [
  { name: 'rtp_packet', sources: ['native/fuzz/rtp_packet_fuzzer.cc'], iterations: 200_000 },
  { name: 'srtp_unprotect', sources: ['native/fuzz/srtp_unprotect_fuzzer.cc'], iterations: 10_000 },
  { name: 'rtcp_parser', sources: ['native/fuzz/rtcp_parser_fuzzer.cc'], iterations: 100_000 },
  { name: 'telephone_event', sources: ['native/fuzz/telephone_event_fuzzer.cc'], iterations: 100_000 },
  { name: 'media_session_ingest', sources: ['native/fuzz/media_session_ingest_fuzzer.cc'], iterations: 600 },
  { name: 'pcm_frame', sources: ['native/fuzz/pcm_frame_fuzzer.cc'], iterations: 1_000 },
  { name: 'base64_decoder', sources: ['native/fuzz/base64_decoder_fuzzer.cc'], iterations: 200_000 },
];

function runHarness(binary: string, harness: string, iterations: number): Promise<{ code: number; output: string }> {
  const crashes = join(sanitizedDir, 'crashes');
  mkdirSync(crashes, { recursive: true });
  return new Promise((resolve) => {
    execFile(
      binary,
      [corpus(harness), String(iterations), '1', join(crashes, `${harness}-crash`)],
      { env: sanitizerEnv, maxBuffer: 16 << 20, timeout: 120_000 },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: `${stdout}\n${stderr}` }),
    );
  });
}

describe('native fuzzers under ASan + UBSan', () => {
  for (const { name, sources, iterations } of harnesses) {
    it(`${name}: its seed corpus and ${iterations} mutated inputs raise no sanitizer finding`, { timeout: 900_000 }, async () => {
      const binary = await buildSanitized(`${name}_fuzzer`, [...sources, 'native/fuzz/driver/mutation_driver.cc']);
      const { code, output } = await runHarness(binary, name, iterations);
      if (code !== 0) expect.fail(`${name} fuzzer failed (exit ${code}):\n${output.slice(-12000)}`);
      expect(output).toContain('mutated inputs passed');
    });
  }
});

// A media worker's young generation is capped (MEDIA_WORKER_EXEC_ARGV: each semi-space at
// WORKER_SEMI_SPACE_MB), so that V8 cannot grow it under load to the size whose scavenges stop the
// worker's every call for a frame or more. The real worker runs with the flag, and the flag holds:
// a probe that makes V8 grow its new space to 32 MB in a default process stays within the cap.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { MEDIA_WORKER_EXEC_ARGV, WORKER_SEMI_SPACE_MB } from '../../../engine/workers/media-worker.js';
import { singleWorkerPool } from '../../support/single-worker-pool.js';

const PROBE = fileURLToPath(new URL('../../fixtures/workers/young-generation-probe.ts', import.meta.url));
const MB = 1024 * 1024;
// V8's new space is its two semi-spaces.
const NEW_SPACE_MAX_BYTES = 2 * WORKER_SEMI_SPACE_MB * MB;

// The probe's answer; fails at once if it exits without one (a flag refused, a crash).
async function newSpaceBytes(execArgv: readonly string[], cleanups: Array<() => unknown>): Promise<number> {
  const probe = fork(PROBE, [], { execArgv: [...execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  cleanups.push(() => probe.kill('SIGKILL'));
  const exited = once(probe, 'exit');
  const answer = once(probe, 'message') as Promise<[{ newSpaceBytes: number }]>;
  const first = await Promise.race([answer, exited.then(([code, signal]) => new Error(`the probe exited without an answer (code ${String(code)}, signal ${String(signal)})`))]);
  if (first instanceof Error) throw first;
  await exited;
  return first[0].newSpaceBytes;
}

describe('media workers: the young generation', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('starts each worker with its semi-spaces capped', async () => {
    const pool = singleWorkerPool('silent');
    await pool.start();
    cleanups.push(() => pool.stop());
    const commandLine = readFileSync(`/proc/${pool.pidOf(0)!}/cmdline`, 'utf8').split('\0');
    expect(commandLine).toContain(`--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`);
  });

  it('keeps V8 new space within the cap where a default process grows it', async () => {
    const capped = await newSpaceBytes(MEDIA_WORKER_EXEC_ARGV, cleanups);
    const uncapped = await newSpaceBytes(
      MEDIA_WORKER_EXEC_ARGV.filter((arg) => !arg.startsWith('--max-semi-space-size')),
      cleanups,
    );
    console.info(`new space under the probe: ${capped / MB} MB with the workers' flags, ${uncapped / MB} MB without`);
    // The probe's survivors make V8 grow a default new space past the cap (else this shows nothing).
    expect(uncapped).toBeGreaterThan(NEW_SPACE_MAX_BYTES);
    expect(capped).toBeGreaterThan(0);
    expect(capped).toBeLessThanOrEqual(NEW_SPACE_MAX_BYTES);
  });
});

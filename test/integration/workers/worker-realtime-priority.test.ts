// PARLEY_MEDIA_WORKER_REALTIME_PRIORITY: each media worker's event loop (its main thread, which
// runs the media tick) in SCHED_RR at the configured priority, its helper threads left in the
// normal class; where the process may not (no CAP_SYS_NICE, RLIMIT_RTPRIO 0), the worker says so
// in a warning and serves its calls at the normal class. Read from /proc, as the kernel has it.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { workerMetrics } from '../../../engine/workers/worker-metrics.js';
import { metricValue } from '../../support/metric-value.js';
import { singleWorkerPool, TEST_RTP_LEG } from '../../support/single-worker-pool.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const SCHED_OTHER = 0;
const SCHED_RR = 2;

// A thread's scheduling policy and realtime priority: fields 41 and 40 of its stat line.
function scheduling(pid: number, tid = pid): { policy: number; priority: number } {
  const fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { policy: Number(fields[38]), priority: Number(fields[37]) };
}

describe('media workers: realtime priority', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('puts only the worker event loop in SCHED_RR at the configured priority', async () => {
    // Granted to root or CAP_SYS_NICE; a test machine without either cannot show it.
    const probe = spawnSync('chrt', ['-r', '7', 'true']);
    expect(probe.error, 'chrt (util-linux) probes the permission: install util-linux').toBeUndefined();
    expect(probe.status, 'this test needs CAP_SYS_NICE: run the suite as root with it (Docker: --cap-add=SYS_NICE)').toBe(0);
    const pool = singleWorkerPool('silent', 7);
    await pool.start();
    cleanups.push(() => pool.stop());
    const pid = pool.pidOf(0)!;
    expect(scheduling(pid)).toEqual({ policy: SCHED_RR, priority: 7 });
    // V8's and libuv's helper threads stay in the normal class, those started after a call too.
    const helpers = (): number[] => readdirSync(`/proc/${pid}/task`).map(Number).filter((tid) => tid !== pid);
    expect(helpers().length).toBeGreaterThan(0);
    for (const tid of helpers()) expect(scheduling(pid, tid).policy).toBe(SCHED_OTHER);
    // And the worker serves calls, and says so in its report (parley_media_worker_realtime).
    const { leg } = await pool.createLeg('call-realtime', 'rtp', TEST_RTP_LEG);
    expect(await leg.changeCodec('PCMA', 8)).toBe(true);
    for (const tid of helpers()) expect(scheduling(pid, tid).policy).toBe(SCHED_OTHER);
    await vi.waitFor(() => expect(workerMetrics.lastReport(0)?.realtime).toBe(true), { timeout: 5_000 });
    expect(await metricValue('parley_media_worker_realtime', { worker: '0' })).toBe(1);
  });

  it('leaves the worker in the normal class by default', async () => {
    const pool = singleWorkerPool('silent');
    await pool.start();
    cleanups.push(() => pool.stop());
    expect(scheduling(pool.pidOf(0)!).policy).toBe(SCHED_OTHER);
  });

  it('warns and serves calls at the normal class when the priority is refused', () => {
    // A node without CAP_SYS_NICE (and RLIMIT_RTPRIO 0), whose pool asks for priority 5.
    // setpriv drops a capability only for root (it needs CAP_SETPCAP); RLIMIT_RTPRIO 0 then refuses.
    expect(process.getuid?.(), 'this test drops CAP_SYS_NICE with setpriv: run the suite as root').toBe(0);
    expect(execFileSync('sh', ['-c', 'ulimit -r']).toString().trim(), 'the refusal is shown with RLIMIT_RTPRIO 0').toBe('0');
    const output = execFileSync('setpriv', ['--bounding-set', '-sys_nice', '--inh-caps', '-sys_nice', process.execPath, '--import', 'tsx', join(root, 'test/fixtures/workers/realtime-priority-pool.ts'), '5'], {
      cwd: root,
      timeout: 60_000,
    }).toString();
    const result = JSON.parse(output.split('\n').find((line) => line.startsWith('RESULT '))!.slice('RESULT '.length)) as { realtime: boolean; served: boolean };
    expect(result).toEqual({ realtime: false, served: true });
    const warning = output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string; priority?: number; worker?: number })
      .find((line) => line.msg.includes('realtime priority refused'));
    expect(warning).toMatchObject({ level: 40, priority: 5, worker: 0 });
  });
});

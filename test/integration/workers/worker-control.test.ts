// A control request a worker's leg refuses (here an address the engine cannot parse, as a hostile
// or broken UNICASTRTP_LOCAL_ADDRESS would be) ends that call only: the worker and its other
// calls go on.
import { once } from 'node:events';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { MEDIA_WORKER_ENTRY } from '../../../api/node.js';
import { botConfigSchema } from '../../../engine/bot/bot-config.js';
import { WorkerPool } from '../../../engine/workers/worker-pool.js';

describe('media workers: refused control requests', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('ends the call whose leg refused setRemote, and keeps the worker and its other call', async () => {
    const pool = new WorkerPool({ count: 1, entry: MEDIA_WORKER_ENTRY, legKinds: {}, bot: botConfigSchema.parse({}), logLevel: 'silent', logger: pino({ level: 'silent' }) });
    await pool.start();
    cleanups.push(() => pool.stop());
    const pid = pool.pidOf(0);
    const options = { codec: 'PCMU', localHost: '127.0.0.1', bargeIn: false, learnRemote: false, strictSource: true };
    const broken = await (await pool.createLeg('call-broken', 'rtp', options)).leg;
    const other = await (await pool.createLeg('call-other', 'rtp', options)).leg;
    const ended = once(broken, 'ended');
    broken.setRemote('not an address', 5000);
    expect(await ended).toEqual(['media_control_failed']);
    // The worker still answers for the other call, and is the same process.
    expect(await other.changeCodec('PCMA', 8)).toBe(true);
    expect(other.endedWith).toBeUndefined();
    expect(pool.liveWorkers).toBe(1);
    expect(pool.pidOf(0)).toBe(pid);
  });
});

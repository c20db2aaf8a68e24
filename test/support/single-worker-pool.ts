// A pool of one real media worker, as the node makes it, and the RTP leg the worker tests place
// on it: for test/integration/workers/worker-realtime-priority.test.ts and its fixture
// (test/fixtures/workers/realtime-priority-pool.ts), which runs where the priority is refused,
// and test/integration/workers/worker-young-generation.test.ts.
import { pino } from 'pino';
import { MEDIA_WORKER_ENTRY } from '../../api/node.js';
import { botConfigSchema } from '../../engine/bot/bot-config.js';
import { WorkerPool } from '../../engine/workers/worker-pool.js';

export const TEST_RTP_LEG = { codec: 'PCMU', localHost: '127.0.0.1', bargeIn: false } as const;

// `logLevel`: the worker's own (its lines go to the inherited stdout); the pool's logger is silent.
export function singleWorkerPool(logLevel: string, realtimePriority?: number): WorkerPool {
  return new WorkerPool({
    count: 1,
    entry: MEDIA_WORKER_ENTRY,
    legKinds: {},
    bot: botConfigSchema.parse({}),
    logLevel,
    logger: pino({ level: 'silent' }),
    ...(realtimePriority === undefined ? {} : { realtimePriority }),
  });
}

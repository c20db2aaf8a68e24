// Grants per second from POST /v1/sessions on uWebSockets.js against node:http, the same handler
// on both (bench/api/grant-server.ts, a child process on 127.0.0.1), load from autocannon in this
// process. The machine is shared, so the two servers take turns over a few rounds and each keeps
// its best round.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { z } from 'zod';
import type { BenchResult } from '../bench-part.js';
import { round2 } from '../side-by-side.js';
import { BENCH_ORIGIN, serverKinds, type ServerKind } from './grant-server-kinds.js';

const ROUNDS = 3;
const SECONDS_PER_ROUND = 5;
const CONNECTIONS = 32;

const readySchema = z.object({ type: z.literal('ready'), port: z.number().int().positive() });

async function grantsPerSecond(kind: ServerKind): Promise<number> {
  const server = fork(fileURLToPath(new URL('./grant-server.ts', import.meta.url)), [kind], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const [message] = (await once(server, 'message')) as [unknown];
    const { port } = readySchema.parse(message);
    const result = await autocannon({
      url: `http://127.0.0.1:${port}/v1/sessions`,
      method: 'POST',
      headers: { origin: BENCH_ORIGIN, 'content-type': 'application/json' },
      body: '{}',
      connections: CONNECTIONS,
      duration: SECONDS_PER_ROUND,
    });
    // Only issued grants count: a server answering errors fast must not score.
    if (result.errors > 0 || result.non2xx > 0) console.log(`[api] ${kind}: ${result.errors} errors, ${result.non2xx} non-2xx`);
    const perSecond = result['2xx'] / result.duration;
    console.log(`[api] ${kind}: ${perSecond.toFixed(0)} grants/s, latency p99 ${result.latency.p99} ms`);
    return perSecond;
  } finally {
    const exited = once(server, 'exit');
    server.send({ type: 'stop' });
    await exited;
  }
}

export async function run(): Promise<BenchResult> {
  const best: Record<ServerKind, number> = { uws: 0, 'node-http': 0 };
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of serverKinds) best[kind] = Math.max(best[kind], await grantsPerSecond(kind));
  }
  return {
    grants_per_s_uws: Math.round(best.uws),
    grants_per_s_node_http: Math.round(best['node-http']),
    uws_over_node_http: round2(best.uws / best['node-http']),
  };
}

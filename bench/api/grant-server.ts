// The server under test for the API bench, run as a child process: POST /v1/sessions (the grant
// handler of api/routes/sessions-route.ts with a real GrantService: JWT signing, TURN REST
// credentials) on uWebSockets.js or node:http, on 127.0.0.1, port sent back over IPC.
//
// The call-limit and session-record stores are stand-ins that do nothing: every bench request
// comes from 127.0.0.1, which the real per-IP caps would refuse after a few grants, and the
// bench compares the HTTP servers, not the stores.
import { Drain } from '../../engine/drain.js';
import { z } from 'zod';
import { GrantService } from '../../api/grants/grant-service.js';
import type { SessionRecords } from '../../api/grants/session-records.js';
import { SessionTokens } from '../../api/grants/session-token.js';
import type { HttpServer } from '../../api/http/http-types.js';
import { NodeHttpServer } from '../../api/http/node-http-server.js';
import { UwsServer } from '../../api/http/uws-server.js';
import type { CallLimits } from '../../api/limits/call-limits.js';
import { sessionsRoute } from '../../api/routes/sessions-route.js';
import { BENCH_ORIGIN, serverKinds } from './grant-server-kinds.js';


const unlimited: CallLimits = {
  reserve: async () => ({ ok: true }),
  extend: async () => true,
  release: async () => {},
  close: async () => {},
};

const forgetful: SessionRecords = {
  put: async () => {},
  consume: async () => undefined,
  close: async () => {},
};

async function main(): Promise<void> {
  const kind = z.enum(serverKinds).parse(process.argv[2]);
  const http: HttpServer = kind === 'uws' ? new UwsServer() : new NodeHttpServer();
  const grants = new GrantService(
    {
      allowedOrigins: [BENCH_ORIGIN],
      grantTtlSeconds: 60,
      maxCallSeconds: 300,
      stunUrls: ['stun:127.0.0.1:3478'],
      turnUrls: ['turn:127.0.0.1:3478?transport=udp'],
      turnSecret: 'bench-turn-secret-0123456789abcdef',
      turnTtlSeconds: 600,
      callMediaOptions: true,
    },
    new SessionTokens('bench-token-secret-that-is-long-enough-0123'),
    forgetful,
    unlimited,
  );
  http.route('POST', '/v1/sessions', sessionsRoute(grants, new Drain()).post);
  const port = await http.listen('127.0.0.1', 0);
  process.on('message', () => void http.close().then(() => process.exit(0)));
  process.send?.({ type: 'ready', port });
}

await main();

// Wires the public edge onto an HttpServer: grants, signaling, health, metrics, the operator view
// and the static button files. Stateless apart from live calls: limits and once-only session
// records live in the injected stores (memory, or Redis for several nodes).
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { BotStarter } from '../engine/call/call.js';
import type { CallRegistry } from '../engine/call/call-registry.js';
import { registry } from '../engine/metrics.js';
import type { GrantService } from './grants/grant-service.js';
import type { SessionRecords } from './grants/session-records.js';
import type { SessionTokens } from './grants/session-token.js';
import type { HttpServer } from './http/http-types.js';
import type { CallLimits } from './limits/call-limits.js';
import { adminRoutes } from './routes/admin-route.js';
import { json } from './routes/json-response.js';
import { sessionsRoute } from './routes/sessions-route.js';
import { staticFiles } from './routes/static-files.js';
import type { BrowserGateway } from './signaling/browser-gateway.js';
import type { DiagnosticsLog } from './signaling/diagnostics-log.js';
import { MAX_SIGNAL_MESSAGE_BYTES } from './signaling/signal-messages.js';
import { signalSocket } from './signaling/signal-socket.js';

export interface ApiDeps {
  http: HttpServer;
  grants: GrantService;
  tokens: SessionTokens;
  records: SessionRecords;
  limits: CallLimits;
  gateway: BrowserGateway;
  startBot: BotStarter;
  calls: CallRegistry;
  diagnostics: DiagnosticsLog;
  maxCallSeconds: number;
  adminToken: string;
  logger: Logger;
  webRoot?: string;
  // PBX mode: whether ARI is connected (/healthz answers 503 while it is not).
  asteriskConnected?: () => boolean;
}

export function mountApi(deps: ApiDeps): void {
  const { http } = deps;
  const sessions = sessionsRoute(deps.grants);
  http.route('POST', '/v1/sessions', sessions.post);
  http.route('OPTIONS', '/v1/sessions', sessions.preflight);
  http.websocket('/v1/signal', signalSocket(deps), { maxPayloadBytes: MAX_SIGNAL_MESSAGE_BYTES });
  http.route('GET', '/healthz', () =>
    deps.asteriskConnected?.() === false
      ? json(503, { status: 'degraded', asterisk: 'disconnected', calls: deps.calls.size })
      : json(200, { status: 'ok', calls: deps.calls.size }),
  );
  http.route('GET', '/metrics', async () => ({
    status: 200,
    headers: { 'content-type': registry.contentType },
    body: await registry.metrics(),
  }));
  http.route('GET', '/admin/calls', adminRoutes(deps.adminToken, deps.calls, deps.diagnostics).calls);
  http.fallback(staticFiles(deps.webRoot ?? fileURLToPath(new URL('../web/', import.meta.url))));
}

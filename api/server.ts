// Wires the public edge onto an HttpServer: grants, signaling and the static button files. Health,
// metrics and the admin view are on the operator listener (routes/operator-routes.ts), never here.
// Stateless apart from live calls: limits and once-only session records live in the injected
// stores (memory, or Redis for several nodes).
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { CallService } from '../engine/call/call-service.js';
import type { Drain } from '../engine/drain.js';
import type { GrantService } from './grants/grant-service.js';
import type { SessionRecords } from './grants/session-records.js';
import type { SessionTokens } from './grants/session-token.js';
import type { HttpServer } from './http/http-types.js';
import type { CallLimits } from './limits/call-limits.js';
import { ADMIN_PAGE } from './routes/operator-routes.js';
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
  calls: CallService;
  drain: Drain;
  diagnostics: DiagnosticsLog;
  maxCallSeconds: number;
  logger: Logger;
  webRoot: string;
}

export const WEB_ROOT = fileURLToPath(new URL('../web/', import.meta.url));

export function mountApi(deps: ApiDeps): void {
  const { http } = deps;
  const sessions = sessionsRoute(deps.grants, deps.drain);
  http.route('POST', '/v1/sessions', sessions.post);
  http.route('OPTIONS', '/v1/sessions', sessions.preflight);
  http.websocket('/v1/signal', signalSocket(deps), { maxPayloadBytes: MAX_SIGNAL_MESSAGE_BYTES });
  http.fallback(staticFiles(deps.webRoot, (file) => file !== ADMIN_PAGE));
}

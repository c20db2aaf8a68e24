// Wires the public edge onto an HttpServer: grants, signaling and the static button files. Health,
// metrics and the admin view are on the operator listener (routes/operator-routes.ts), never here.
// Stateless apart from live calls: limits and once-only session records live in the injected
// stores (memory, or Redis for several nodes).
import { fileURLToPath } from 'node:url';
import type { GrantService } from './grants/grant-service.js';
import type { HttpServer } from './http/http-types.js';
import { ADMIN_PAGE } from './routes/operator-routes.js';
import { sessionsRoute } from './routes/sessions-route.js';
import { staticFiles } from './routes/static-files.js';
import { MAX_SIGNAL_MESSAGE_BYTES } from './signaling/signal-messages.js';
import { signalSocket, type SignalDeps } from './signaling/signal-socket.js';

// The signaling socket's dependencies, and what the HTTP routes add to them.
export interface ApiDeps extends SignalDeps {
  http: HttpServer;
  grants: GrantService;
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

// The operator listener's routes (api.operator: its own host and port, 127.0.0.1:9090 by
// default): /metrics and /healthz for Prometheus and load balancers on the private network, and
// the admin view (/admin.html, /admin/calls) behind the admin token. None of these is on the
// public port, so the internet sees neither the node's counters nor its dependency state.
import type { CallRegistry } from '../../engine/call/call-registry.js';
import { registry } from '../../engine/metrics.js';
import { nodeMetricsText } from '../../engine/workers/worker-metrics.js';
import type { Health } from '../health.js';
import type { HttpServer } from '../http/http-types.js';
import type { DiagnosticsLog } from '../signaling/diagnostics-log.js';
import { adminRoutes } from './admin-route.js';
import { json } from './json-response.js';
import { staticFiles } from './static-files.js';

export interface OperatorDeps {
  http: HttpServer;
  calls: CallRegistry;
  diagnostics: DiagnosticsLog;
  health: Health;
  adminToken: string;
  webRoot: string;
}

export const ADMIN_PAGE = 'admin.html';

export function mountOperator(deps: OperatorDeps): void {
  const { http } = deps;
  http.route('GET', '/healthz', async () => {
    const report = await deps.health.report();
    return json(report.status === 'ok' ? 200 : 503, { ...report, calls: deps.calls.size });
  });
  http.route('GET', '/metrics', async () => ({
    status: 200,
    headers: { 'content-type': registry.contentType },
    body: await nodeMetricsText(),
  }));
  http.route('GET', '/admin/calls', adminRoutes(deps.adminToken, deps.calls, deps.diagnostics).calls);
  http.fallback(staticFiles(deps.webRoot, (file) => file === ADMIN_PAGE));
}

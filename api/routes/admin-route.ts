// The operator view's data: GET /admin/calls (JSON) behind a bearer token compared in constant
// time. The token is read from the Authorization header only: a token in the query string ends up
// in access logs, proxies' logs and browser history.
import { timingSafeEqual } from 'node:crypto';
import type { CallRegistry } from '../../engine/call/call-registry.js';
import type { HttpHandler, HttpRequest } from '../http/http-types.js';
import type { DiagnosticsLog } from '../signaling/diagnostics-log.js';
import { json } from './json-response.js';

function authorised(request: HttpRequest, adminToken: string): boolean {
  const header = request.headers.authorization ?? '';
  const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
  const expected = Buffer.from(adminToken);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function adminRoutes(adminToken: string, calls: CallRegistry, diagnostics: DiagnosticsLog): { calls: HttpHandler } {
  return {
    calls: (request) => {
      if (!authorised(request, adminToken)) return json(401, { error: 'unauthorised', message: 'Admin token required.' });
      return json(200, { calls: calls.list(), diagnostics: diagnostics.recent() });
    },
  };
}

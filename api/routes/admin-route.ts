// The operator view: GET /admin (a page) and GET /admin/calls (JSON), both behind a bearer token
// compared in constant time.
import { timingSafeEqual } from 'node:crypto';
import type { CallRegistry } from '../../engine/call/call-registry.js';
import type { HttpHandler, HttpRequest } from '../http/http-types.js';
import type { DiagnosticsLog } from '../signaling/diagnostics-log.js';
import { json } from './json-response.js';

function authorised(request: HttpRequest, adminToken: string): boolean {
  const header = request.headers.authorization ?? '';
  const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : (request.query.get('token') ?? ''));
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

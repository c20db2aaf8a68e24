// POST /v1/sessions and its CORS preflight. Only allowed origins get CORS headers back, so a
// browser on any other site cannot read a grant even if one were issued.
import { DRAIN_RETRY_AFTER_SECONDS, type Drain } from '../../engine/drain.js';
import { counter } from '../../engine/metrics.js';
import { parseGrantRequest } from '../grants/grant-request.js';
import type { GrantService } from '../grants/grant-service.js';
import type { HttpHandler, HttpRequest } from '../http/http-types.js';
import { json } from './json-response.js';

const grants = counter('parley_grants_total', 'Session grants, by outcome', ['outcome']);

function corsHeaders(grantService: GrantService, request: HttpRequest): Record<string, string> {
  const origin = request.headers.origin;
  if (!grantService.originAllowed(origin)) return {};
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': 'POST, OPTIONS',
    'access-control-allow-headers': 'content-type',
    'access-control-max-age': '600',
    vary: 'Origin',
  };
}

export function sessionsRoute(grantService: GrantService, drain: Drain): { post: HttpHandler; preflight: HttpHandler } {
  return {
    preflight: (request) => ({ status: 204, headers: corsHeaders(grantService, request) }),
    post: async (request) => {
      const cors = corsHeaders(grantService, request);
      // A draining node takes no new call; Retry-After (RFC 9110 section 10.2.3) sends the client
      // back once the load balancer has taken this node out.
      if (drain.draining) {
        drain.refused('grant');
        grants.inc({ outcome: 'node_draining' });
        const message = 'This node is shutting down: retry shortly.';
        return json(503, { error: 'node_draining', message, retryAfterSeconds: DRAIN_RETRY_AFTER_SECONDS }, { ...cors, 'retry-after': String(DRAIN_RETRY_AFTER_SECONDS) });
      }
      const grantRequest = parseGrantRequest(request.body);
      if (!grantRequest.ok) {
        grants.inc({ outcome: 'bad_request' });
        return json(400, { error: 'bad_request', message: grantRequest.message }, cors);
      }
      const outcome = await grantService.issue(request.headers.origin, request.remoteAddress, grantRequest.media);
      if (!outcome.ok) {
        grants.inc({ outcome: outcome.error });
        const retry: Record<string, string> = outcome.retryAfterSeconds ? { 'retry-after': String(outcome.retryAfterSeconds) } : {};
        return json(outcome.status, { error: outcome.error, message: outcome.message, retryAfterSeconds: outcome.retryAfterSeconds }, { ...cors, ...retry });
      }
      grants.inc({ outcome: 'issued' });
      return json(201, outcome.grant, cors);
    },
  };
}

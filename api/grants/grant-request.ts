// The body of POST /v1/sessions: what the browser's call asks for its own media (empty, or `{}`,
// for the node's defaults). The schema is the edge check: anything else is refused with 400.
import { callMediaOptionsSchema, type CallMediaOptions } from '../../engine/media/media-session-options.js';

export type GrantRequestCheck = { ok: true; media: CallMediaOptions } | { ok: false; message: string };

export function parseGrantRequest(body: Buffer): GrantRequestCheck {
  if (body.length === 0) return { ok: true, media: {} };
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, message: 'The request body is not JSON.' };
  }
  const parsed = callMediaOptionsSchema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, message: `The request body may hold only "echoCancellation" (true or false): ${parsed.error.issues[0]?.message ?? 'invalid'}.` };
  }
  return { ok: true, media: parsed.data };
}

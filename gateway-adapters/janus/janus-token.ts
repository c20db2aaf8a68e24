// Janus signed tokens (janus.jcfg `token_auth = true` with `token_auth_secret`): Janus accepts
// "<expiry unix seconds>,janus,<plugin>[,<plugin>...]:<signature>" where the signature is
// base64(HMAC-SHA1(secret, everything before the colon)). Parley mints one per call, scoped to the
// SIP plugin and valid only for the call's length, so Janus never accepts anonymous sessions.
import { createHmac } from 'node:crypto';

export function janusSignedToken(secret: string, plugins: string[], expiresAtSeconds: number): string {
  const data = `${expiresAtSeconds},janus,${plugins.join(',')}`;
  return `${data}:${createHmac('sha1', secret).update(data).digest('base64')}`;
}

// Ephemeral TURN credentials in coturn's REST scheme (`use-auth-secret`, the TURN REST API draft
// draft-uberti-behave-turn-rest-00): username "<expiry unix seconds>:<user>", password
// base64(HMAC-SHA1(shared secret, username)). coturn recomputes the password from the secret and
// refuses it once the expiry has passed, so nothing long-lived reaches the browser.
import { createHmac } from 'node:crypto';

export interface TurnCredentials {
  username: string;
  credential: string;
  expiresAt: number; // unix seconds
}

export function turnCredentials(secret: string, user: string, ttlSeconds: number, nowSeconds = Math.floor(Date.now() / 1000)): TurnCredentials {
  const expiresAt = nowSeconds + ttlSeconds;
  const username = `${expiresAt}:${user}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential, expiresAt };
}

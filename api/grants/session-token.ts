// The grant token: a short-lived HS256 JWT (jose) naming a server-side session record and bound to
// the origin and client IP that asked for it. The token alone opens nothing: the record must
// still exist and is consumed on first use.
import { errors, jwtVerify, SignJWT } from 'jose';

const ISSUER = 'parley';
const AUDIENCE = 'parley-signal';

export interface TokenClaims {
  sessionId: string;
  origin: string;
  clientIp: string;
}

export type TokenCheck = { ok: true; claims: TokenClaims } | { ok: false; reason: 'expired' | 'invalid' };

export class SessionTokens {
  private readonly key: Uint8Array;

  constructor(secret: string) {
    if (secret.length < 32) throw new Error('the token secret must be at least 32 characters');
    this.key = new TextEncoder().encode(secret);
  }

  sign(claims: TokenClaims, ttlSeconds: number): Promise<string> {
    return new SignJWT({ origin: claims.origin, ip: claims.clientIp, purpose: 'signal' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setJti(claims.sessionId)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(this.key);
  }

  async verify(token: string): Promise<TokenCheck> {
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] });
      if (payload.purpose !== 'signal' || typeof payload.jti !== 'string' || typeof payload.origin !== 'string' || typeof payload.ip !== 'string') {
        return { ok: false, reason: 'invalid' };
      }
      return { ok: true, claims: { sessionId: payload.jti, origin: payload.origin, clientIp: payload.ip } };
    } catch (error) {
      return { ok: false, reason: error instanceof errors.JWTExpired ? 'expired' : 'invalid' };
    }
  }
}

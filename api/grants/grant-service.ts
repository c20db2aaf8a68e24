// POST /v1/sessions: what the button gets before it may signal. Checks the origin, reserves the
// call budget, records the session server-side and returns a short-lived token, the ICE servers
// (with ephemeral TURN credentials) and the limits. Every refusal is a JSON error with a stable
// code; a budget refusal carries Retry-After.
import { randomUUID } from 'node:crypto';
import type { CallMediaOptions } from '../../engine/media/media-session-options.js';
import type { CallLimits } from '../limits/call-limits.js';
import type { SessionRecords } from './session-records.js';
import type { SessionTokens } from './session-token.js';
import { turnCredentials } from './turn-credentials.js';

export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

export interface GrantConfig {
  allowedOrigins: string[];
  grantTtlSeconds: number;
  maxCallSeconds: number;
  stunUrls: string[];
  turnUrls: string[];
  turnSecret?: string;
  turnTtlSeconds: number;
  // Whether the node's browser calls can take their own media options (BrowserGateway).
  callMediaOptions: boolean;
}

export interface Grant {
  token: string;
  expiresAt: string;
  iceServers: IceServer[];
  signalingPath: string;
  maxCallSeconds: number;
}

export type GrantOutcome =
  | { ok: true; grant: Grant }
  | { ok: false; status: number; error: string; message: string; retryAfterSeconds?: number };

// Why, and when a call can succeed: an address's own call (or unused grant) frees its slot as soon
// as it ends, so that refusal says so; Retry-After is only the latest that can be (the call's
// maximum duration, or the grant's expiry).
const refusalMessages = {
  ip_busy: (wait: string) => `A call from this address is already in progress (or was just granted). You can call again as soon as it ends, at the latest in ${wait}.`,
  ip_hourly: (wait: string) => `This address has used its hourly call budget. You can call again in ${wait}.`,
  global_cap: (wait: string) => `All lines are busy. You can call as soon as another call ends, at the latest in ${wait}.`,
} as const;

function waitText(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  return `${Math.ceil(seconds / 60)} minutes`;
}

export class GrantService {
  constructor(
    private readonly config: GrantConfig,
    private readonly tokens: SessionTokens,
    private readonly records: SessionRecords,
    private readonly limits: CallLimits,
    private readonly now: () => number = Date.now,
  ) {}

  originAllowed(origin: string | undefined): origin is string {
    return origin !== undefined && this.config.allowedOrigins.includes(origin);
  }

  // `media`: the call's own media options, from the request (api/grants/grant-request.ts).
  async issue(origin: string | undefined, clientIp: string, media: CallMediaOptions = {}): Promise<GrantOutcome> {
    if (!this.originAllowed(origin)) {
      return { ok: false, status: 403, error: 'origin_not_allowed', message: 'This site may not start calls.' };
    }
    if (!this.config.callMediaOptions && Object.keys(media).length > 0) {
      return { ok: false, status: 400, error: 'option_unsupported', message: 'This node\'s browser calls go through Janus: echoCancellation is set in its configuration, not per call.' };
    }
    const sessionId = randomUUID();
    const expiresAtMs = this.now() + this.config.grantTtlSeconds * 1000;
    const reservation = await this.limits.reserve(clientIp, sessionId, expiresAtMs);
    if (!reservation.ok) {
      return {
        ok: false,
        status: reservation.reason === 'global_cap' ? 503 : 429,
        error: reservation.reason,
        message: refusalMessages[reservation.reason](waitText(reservation.retryAfterSeconds)),
        retryAfterSeconds: reservation.retryAfterSeconds,
      };
    }
    await this.records.put({ sessionId, origin, clientIp, expiresAtMs, media });
    const token = await this.tokens.sign({ sessionId, origin, clientIp }, this.config.grantTtlSeconds);
    return {
      ok: true,
      grant: {
        token,
        expiresAt: new Date(expiresAtMs).toISOString(),
        iceServers: this.iceServers(sessionId),
        signalingPath: '/v1/signal',
        maxCallSeconds: this.config.maxCallSeconds,
      },
    };
  }

  private iceServers(sessionId: string): IceServer[] {
    const servers: IceServer[] = [];
    if (this.config.stunUrls.length > 0) servers.push({ urls: this.config.stunUrls });
    if (this.config.turnSecret && this.config.turnUrls.length > 0) {
      // The TURN credential outlives the grant by the call's length: a relayed call must not lose
      // its allocation mid-call (coturn checks the expiry on refresh).
      const { username, credential } = turnCredentials(
        this.config.turnSecret,
        sessionId,
        this.config.turnTtlSeconds + this.config.maxCallSeconds,
        Math.floor(this.now() / 1000),
      );
      servers.push({ urls: this.config.turnUrls, username, credential });
    }
    return servers;
  }
}

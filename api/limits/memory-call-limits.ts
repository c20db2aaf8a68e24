// CallLimits for a single node: reservations in maps, the hourly budget in rate-limiter-flexible's
// in-memory limiter.
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { CallLimits, CallLimitsConfig, Reservation } from './call-limits.js';

export class MemoryCallLimits implements CallLimits {
  private readonly byIp = new Map<string, Map<string, number>>();
  private readonly hourly: RateLimiterMemory;

  constructor(
    private readonly config: CallLimitsConfig,
    private readonly now: () => number = Date.now,
  ) {
    this.hourly = new RateLimiterMemory({ points: config.perIpPerHour, duration: 3600 });
  }

  private live(clientIp: string): Map<string, number> {
    const reservations = this.byIp.get(clientIp) ?? new Map<string, number>();
    const now = this.now();
    for (const [id, until] of reservations) if (until <= now) reservations.delete(id);
    if (reservations.size === 0) this.byIp.delete(clientIp);
    return reservations;
  }

  private globalCount(): { count: number; soonestEndMs: number } {
    let count = 0;
    let soonestEndMs = Infinity;
    for (const ip of [...this.byIp.keys()]) {
      for (const until of this.live(ip).values()) {
        count++;
        soonestEndMs = Math.min(soonestEndMs, until);
      }
    }
    return { count, soonestEndMs };
  }

  async reserve(clientIp: string, sessionId: string, untilMs: number): Promise<Reservation> {
    const mine = this.live(clientIp);
    const now = this.now();
    if (mine.size >= this.config.perIpActive) {
      return { ok: false, reason: 'ip_busy', retryAfterSeconds: Math.max(1, Math.ceil((Math.min(...mine.values()) - now) / 1000)) };
    }
    const global = this.globalCount();
    if (global.count >= this.config.globalActive) {
      return { ok: false, reason: 'global_cap', retryAfterSeconds: Math.max(1, Math.ceil((global.soonestEndMs - now) / 1000)) };
    }
    try {
      await this.hourly.consume(clientIp);
    } catch (refusal) {
      const msBeforeNext = refusal instanceof RateLimiterRes ? refusal.msBeforeNext : 3_600_000;
      return { ok: false, reason: 'ip_hourly', retryAfterSeconds: Math.max(1, Math.ceil(msBeforeNext / 1000)) };
    }
    mine.set(sessionId, untilMs);
    this.byIp.set(clientIp, mine);
    return { ok: true };
  }

  async extend(clientIp: string, sessionId: string, untilMs: number): Promise<void> {
    const mine = this.byIp.get(clientIp);
    if (mine?.has(sessionId)) mine.set(sessionId, untilMs);
  }

  async release(clientIp: string, sessionId: string): Promise<void> {
    const mine = this.byIp.get(clientIp);
    mine?.delete(sessionId);
    if (mine?.size === 0) this.byIp.delete(clientIp);
  }

  async close(): Promise<void> {}
}

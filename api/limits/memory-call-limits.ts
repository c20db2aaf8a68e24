// CallLimits for a single node: reservations in maps, the hourly budget in rate-limiter-flexible's
// in-memory limiter. A counter holds the node-wide total and an ExpiryQueue frees expired
// reservations, so a grant costs O(log n) amortised, not a scan of every live reservation; an
// IP's own map holds at most `perIpActive` entries.
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { ExpiryQueue } from '../expiry-queue.js';
import type { CallLimits, CallLimitsConfig, Reservation } from './call-limits.js';

interface ReservationKey {
  clientIp: string;
  sessionId: string;
}

export class MemoryCallLimits implements CallLimits {
  private readonly byIp = new Map<string, Map<string, number>>();
  private readonly expiries = new ExpiryQueue<ReservationKey>();
  private active = 0;
  private readonly hourly: RateLimiterMemory | undefined;

  constructor(
    private readonly config: CallLimitsConfig,
    private readonly now: () => number = Date.now,
  ) {
    this.hourly = config.perIpPerHour === undefined ? undefined : new RateLimiterMemory({ points: config.perIpPerHour, duration: 3600 });
  }

  private readonly isCurrent = ({ clientIp, sessionId }: ReservationKey, untilMs: number): boolean =>
    this.byIp.get(clientIp)?.get(sessionId) === untilMs;

  private expire(): void {
    this.expiries.popDue(this.now(), (key, untilMs) => {
      if (this.isCurrent(key, untilMs)) this.remove(key.clientIp, key.sessionId);
    });
  }

  private remove(clientIp: string, sessionId: string): void {
    const mine = this.byIp.get(clientIp);
    if (!mine?.delete(sessionId)) return;
    this.active--;
    if (mine.size === 0) this.byIp.delete(clientIp);
  }

  async reserve(clientIp: string, sessionId: string, untilMs: number): Promise<Reservation> {
    this.expire();
    const mine = this.byIp.get(clientIp) ?? new Map<string, number>();
    const now = this.now();
    if (mine.size >= this.config.perIpActive) {
      return { ok: false, reason: 'ip_busy', retryAfterSeconds: Math.max(1, Math.ceil((Math.min(...mine.values()) - now) / 1000)) };
    }
    if (this.active >= this.config.globalActive) {
      const soonestEndMs = this.expiries.earliest(this.isCurrent) ?? Infinity;
      return { ok: false, reason: 'global_cap', retryAfterSeconds: Math.max(1, Math.ceil((soonestEndMs - now) / 1000)) };
    }
    try {
      await this.hourly?.consume(clientIp);
    } catch (refusal) {
      const msBeforeNext = refusal instanceof RateLimiterRes ? refusal.msBeforeNext : 3_600_000;
      return { ok: false, reason: 'ip_hourly', retryAfterSeconds: Math.max(1, Math.ceil(msBeforeNext / 1000)) };
    }
    // The await let other grants and releases run: take the IP's map as it is now, so the count
    // stays equal to the entries held.
    const current = this.byIp.get(clientIp) ?? new Map<string, number>();
    if (!current.has(sessionId)) this.active++;
    current.set(sessionId, untilMs);
    this.byIp.set(clientIp, current);
    this.expiries.push({ clientIp, sessionId }, untilMs);
    return { ok: true };
  }

  async extend(clientIp: string, sessionId: string, untilMs: number): Promise<boolean> {
    const mine = this.byIp.get(clientIp);
    const heldUntilMs = mine?.get(sessionId);
    if (!mine || heldUntilMs === undefined) return false;
    if (heldUntilMs <= this.now()) {
      this.remove(clientIp, sessionId);
      return false;
    }
    mine.set(sessionId, untilMs);
    this.expiries.push({ clientIp, sessionId }, untilMs);
    return true;
  }

  async release(clientIp: string, sessionId: string): Promise<void> {
    this.remove(clientIp, sessionId);
  }

  async close(): Promise<void> {}
}

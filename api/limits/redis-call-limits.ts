// CallLimits shared by several API nodes through Redis: reservations are sorted sets scored by
// their end time (per IP and global), checked and added by Lua scripts so two nodes cannot both
// take the last slot; the hourly budget is rate-limiter-flexible's Redis limiter.
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { CallLimits, CallLimitsConfig, Reservation } from './call-limits.js';

const PREFIX = 'parley:reservations:';
const GLOBAL_KEY = `${PREFIX}all`;

// KEYS: ip set, global set. ARGV: now, per-IP max, global max, session id, until (0 = check only).
// Returns {0} when reserved (or free), {1, soonest end} IP busy, {2, soonest end} global cap.
const RESERVE_SCRIPT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return {1, redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]}
end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then
  return {2, redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')[2]}
end
if tonumber(ARGV[5]) > 0 then
  redis.call('ZADD', KEYS[1], ARGV[5], ARGV[4])
  redis.call('ZADD', KEYS[2], ARGV[5], ARGV[4])
  redis.call('PEXPIREAT', KEYS[1], ARGV[5], 'GT')
  redis.call('PEXPIREAT', KEYS[1], ARGV[5], 'NX')
end
return {0}
`;

// KEYS: ip set, global set. ARGV: now, session id, new end. Returns 1 when moved, 0 when the
// reservation is gone or past its end (an expired member is only swept at the next reserve).
const EXTEND_SCRIPT = `
local heldUntil = redis.call('ZSCORE', KEYS[1], ARGV[2])
if not heldUntil or tonumber(heldUntil) <= tonumber(ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], 'XX', ARGV[3], ARGV[2])
redis.call('ZADD', KEYS[2], 'XX', ARGV[3], ARGV[2])
redis.call('PEXPIREAT', KEYS[1], ARGV[3], 'GT')
return 1
`;

export class RedisCallLimits implements CallLimits {
  private readonly hourly: RateLimiterRedis | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly config: CallLimitsConfig,
    private readonly now: () => number = Date.now,
  ) {
    this.hourly =
      config.perIpPerHour === undefined ? undefined : new RateLimiterRedis({ storeClient: redis, keyPrefix: 'parley:hourly', points: config.perIpPerHour, duration: 3600 });
  }

  private async run(clientIp: string, sessionId: string, untilMs: number): Promise<Reservation> {
    const now = this.now();
    const [code, soonest] = (await this.redis.eval(
      RESERVE_SCRIPT,
      2,
      `${PREFIX}ip:${clientIp}`,
      GLOBAL_KEY,
      now,
      this.config.perIpActive,
      this.config.globalActive,
      sessionId,
      untilMs,
    )) as [number, string?];
    if (code === 0) return { ok: true };
    const retryAfterSeconds = Math.max(1, Math.ceil((Number(soonest) - now) / 1000));
    return { ok: false, reason: code === 1 ? 'ip_busy' : 'global_cap', retryAfterSeconds };
  }

  async reserve(clientIp: string, sessionId: string, untilMs: number): Promise<Reservation> {
    const check = await this.run(clientIp, sessionId, 0);
    if (!check.ok) return check;
    try {
      await this.hourly?.consume(clientIp);
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      return { ok: false, reason: 'ip_hourly', retryAfterSeconds: Math.max(1, Math.ceil(refusal.msBeforeNext / 1000)) };
    }
    const reserved = await this.run(clientIp, sessionId, untilMs);
    // Another node took the slot between the check and the add: give the hourly point back.
    if (!reserved.ok) await this.hourly?.reward(clientIp);
    return reserved;
  }

  async extend(clientIp: string, sessionId: string, untilMs: number): Promise<boolean> {
    const moved = await this.redis.eval(EXTEND_SCRIPT, 2, `${PREFIX}ip:${clientIp}`, GLOBAL_KEY, this.now(), sessionId, untilMs);
    return moved === 1;
  }

  async release(clientIp: string, sessionId: string): Promise<void> {
    await this.redis.multi().zrem(`${PREFIX}ip:${clientIp}`, sessionId).zrem(GLOBAL_KEY, sessionId).exec();
  }

  async close(): Promise<void> {}
}

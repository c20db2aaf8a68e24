// Once-only session records shared by several API nodes: SET with an expiry at grant time, GETDEL
// (atomic read-and-delete, Redis >= 6.2) when the signaling socket opens.
import type { Redis } from 'ioredis';
import type { SessionRecord, SessionRecords } from './session-records.js';

const PREFIX = 'parley:session:';

export class RedisSessionRecords implements SessionRecords {
  constructor(
    private readonly redis: Redis,
    private readonly now: () => number = Date.now,
  ) {}

  async put(record: SessionRecord): Promise<void> {
    const ttlMs = Math.max(1, record.expiresAtMs - this.now());
    await this.redis.set(`${PREFIX}${record.sessionId}`, JSON.stringify(record), 'PX', ttlMs);
  }

  async consume(sessionId: string): Promise<SessionRecord | undefined> {
    const text = await this.redis.getdel(`${PREFIX}${sessionId}`);
    if (text === null) return undefined;
    const record = JSON.parse(text) as SessionRecord;
    return record.expiresAtMs > this.now() ? record : undefined;
  }

  async close(): Promise<void> {}
}

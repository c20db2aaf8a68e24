// Server-side records behind grant tokens: written at grant time, consumed exactly once when the
// signaling socket opens, so a replayed token finds nothing.
import type { CallMediaOptions } from '../../engine/media/media-session-options.js';
import { ExpiryQueue } from '../expiry-queue.js';

export interface SessionRecord {
  sessionId: string;
  origin: string;
  clientIp: string;
  expiresAtMs: number;
  // What the grant request chose for the call's media (absent: the node's defaults, as in a
  // record an earlier version wrote to a shared store).
  media?: CallMediaOptions;
}

export interface SessionRecords {
  put(record: SessionRecord): Promise<void>;
  // Returns the record and deletes it atomically; undefined if absent, used or expired.
  consume(sessionId: string): Promise<SessionRecord | undefined>;
  close(): Promise<void>;
}

// Expired records unused are dropped at the next put, through an ExpiryQueue: O(log n) amortised
// per grant rather than a scan of every live record.
export class MemorySessionRecords implements SessionRecords {
  private readonly records = new Map<string, SessionRecord>();
  private readonly expiries = new ExpiryQueue<string>();

  constructor(private readonly now: () => number = Date.now) {}

  async put(record: SessionRecord): Promise<void> {
    const now = this.now();
    this.expiries.popDue(now, (sessionId) => {
      const existing = this.records.get(sessionId);
      if (existing && existing.expiresAtMs <= now) this.records.delete(sessionId);
    });
    this.records.set(record.sessionId, record);
    this.expiries.push(record.sessionId, record.expiresAtMs);
  }

  // Records held, used or not yet expired-and-dropped (for tests of the store's bounds).
  get size(): number {
    return this.records.size;
  }

  async consume(sessionId: string): Promise<SessionRecord | undefined> {
    const record = this.records.get(sessionId);
    this.records.delete(sessionId);
    return record && record.expiresAtMs > this.now() ? record : undefined;
  }

  async close(): Promise<void> {}
}

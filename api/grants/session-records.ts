// Server-side records behind grant tokens: written at grant time, consumed exactly once when the
// signaling socket opens, so a replayed token finds nothing.

export interface SessionRecord {
  sessionId: string;
  origin: string;
  clientIp: string;
  expiresAtMs: number;
}

export interface SessionRecords {
  put(record: SessionRecord): Promise<void>;
  // Returns the record and deletes it atomically; undefined if absent, used or expired.
  consume(sessionId: string): Promise<SessionRecord | undefined>;
  close(): Promise<void>;
}

export class MemorySessionRecords implements SessionRecords {
  private readonly records = new Map<string, SessionRecord>();

  constructor(private readonly now: () => number = Date.now) {}

  async put(record: SessionRecord): Promise<void> {
    const now = this.now();
    for (const [id, existing] of this.records) if (existing.expiresAtMs <= now) this.records.delete(id);
    this.records.set(record.sessionId, record);
  }

  async consume(sessionId: string): Promise<SessionRecord | undefined> {
    const record = this.records.get(sessionId);
    this.records.delete(sessionId);
    return record && record.expiresAtMs > this.now() ? record : undefined;
  }

  async close(): Promise<void> {}
}

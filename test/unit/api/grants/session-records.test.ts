import { describe, expect, it } from 'vitest';
import { MemorySessionRecords } from '../../../../api/grants/session-records.js';

const record = (sessionId: string, expiresAtMs: number) => ({ sessionId, origin: 'https://example.test', clientIp: '10.0.0.1', expiresAtMs });

describe('MemorySessionRecords', () => {
  it('consumes a record once, refuses an expired one, and drops unused expired records at the next put', async () => {
    const clock = { nowMs: 1_000 };
    const records = new MemorySessionRecords(() => clock.nowMs);
    await records.put(record('a', 2_000));
    await records.put(record('b', 5_000));
    await records.put(record('c', 3_000));
    expect(await records.consume('a')).toEqual(record('a', 2_000));
    expect(await records.consume('a')).toBeUndefined();
    clock.nowMs = 3_000;
    expect(await records.consume('c')).toBeUndefined();
    // Re-put with a later expiry: the old due time must not drop it.
    await records.put(record('b', 9_000));
    clock.nowMs = 6_000;
    await records.put(record('d', 7_000));
    expect(records.size).toBe(2);
    expect(await records.consume('b')).toEqual(record('b', 9_000));
    clock.nowMs = 8_000;
    await records.put(record('e', 10_000));
    expect(records.size).toBe(1);
  });
});

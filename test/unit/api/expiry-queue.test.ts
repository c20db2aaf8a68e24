import { describe, expect, it } from 'vitest';
import { ExpiryQueue } from '../../../api/expiry-queue.js';

describe('ExpiryQueue', () => {
  it('hands out due entries oldest first and keeps the rest', () => {
    const queue = new ExpiryQueue<string>();
    for (const [key, atMs] of [['c', 300], ['a', 100], ['d', 400], ['b', 200]] as const) queue.push(key, atMs);
    const due: Array<[string, number]> = [];
    queue.popDue(250, (key, atMs) => due.push([key, atMs]));
    expect(due).toEqual([['a', 100], ['b', 200]]);
    expect(queue.size).toBe(2);
    queue.popDue(300, (key, atMs) => due.push([key, atMs]));
    expect(due.at(-1)).toEqual(['c', 300]);
  });

  it('reports the earliest current due time, dropping stale entries in front of it', () => {
    const queue = new ExpiryQueue<string>();
    const live = new Map([['x', 500], ['y', 900]]);
    queue.push('x', 200); // x's old due time, since moved to 500
    queue.push('x', 500);
    queue.push('gone', 300); // released
    queue.push('y', 900);
    expect(queue.earliest((key, atMs) => live.get(key) === atMs)).toBe(500);
    expect(queue.size).toBe(2);
    expect(new ExpiryQueue<string>().earliest(() => true)).toBeUndefined();
  });
});

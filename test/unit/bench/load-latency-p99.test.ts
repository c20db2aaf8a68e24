// The load bench reads engine latency p99 from the workers' histogram (cumulative bucket counts).
import { describe, expect, it } from 'vitest';
import { p99FromBuckets } from '../../../bench/load/load-step.js';

describe('p99FromBuckets', () => {
  it('interpolates inside the bucket that holds the 99th percentile', () => {
    // 1000 ticks: 900 at or under 1 ms, 980 under 2 ms, 1000 under 4 ms (open bucket: -1).
    const buckets: Array<[number, number]> = [[1000, 900], [2000, 980], [4000, 1000], [-1, 1000]];
    // The 990th tick lies halfway through the 2-4 ms bucket's 20.
    expect(p99FromBuckets(buckets)).toBe(3000);
  });

  it('gives the open bucket its lower bound, and 0 with no ticks', () => {
    expect(p99FromBuckets([[1000, 5], [2000, 5], [-1, 100]])).toBe(2000);
    expect(p99FromBuckets([[1000, 0], [-1, 0]])).toBe(0);
  });
});

// The load bench reads engine latency p99 and median from the workers' histogram (cumulative bucket counts).
import { describe, expect, it } from 'vitest';
import { quantileFromBuckets } from '../../../bench/load/load-step.js';

describe('quantileFromBuckets', () => {
  it('interpolates inside the bucket that holds the 99th percentile', () => {
    // 1000 ticks: 900 at or under 1 ms, 980 under 2 ms, 1000 under 4 ms (open bucket: -1).
    const buckets: Array<[number, number]> = [[1000, 900], [2000, 980], [4000, 1000], [-1, 1000]];
    // The 990th tick lies halfway through the 2-4 ms bucket's 20.
    expect(quantileFromBuckets(buckets, 0.99)).toBe(3000);
    // The 500th lies 500/900 of the way through the first.
    expect(quantileFromBuckets(buckets, 0.5)).toBe(556);
  });

  it('gives the open bucket its lower bound, and 0 with no ticks', () => {
    expect(quantileFromBuckets([[1000, 5], [2000, 5], [-1, 100]], 0.99)).toBe(2000);
    expect(quantileFromBuckets([[1000, 0], [-1, 0]], 0.5)).toBe(0);
  });
});

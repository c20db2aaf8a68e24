// The load bench's accounting: which packets count as late against the node, and how many cores
// the workers of a step could have had.
import { describe, expect, it } from 'vitest';
import { coresForWorkers, lateFraction } from '../../../bench/load/load-step.js';

describe('lateFraction', () => {
  it('counts packets the node never sent back as late, beyond two frames per call in flight', () => {
    // 10 calls, 1000 sent, 970 back of which 5 late: 30 missing, 20 of them in flight.
    expect(lateFraction(1000, 970, 5, 10, 0)).toBeCloseTo(1.5);
  });

  it("does not count against the node the packets the generator's own socket dropped", () => {
    expect(lateFraction(1000, 970, 5, 10, 10)).toBeCloseTo(0.5);
    expect(lateFraction(1000, 970, 0, 10, 50)).toBe(0);
  });
});

describe('coresForWorkers', () => {
  it('gives the workers the cores that everything else left, at most one each', () => {
    // 2 cores, 2 workers at 0.5 each, the machine 1.3 busy: 0.3 went elsewhere.
    expect(coresForWorkers({ workers: 2, worker_cpu_shares: [0.5, 0.5], machine_busy_cores: 1.3 }, 2)).toBeCloseTo(1.7);
    // One worker on a mostly idle 2-core machine has its whole core.
    expect(coresForWorkers({ workers: 1, worker_cpu_shares: [0.6], machine_busy_cores: 0.8 }, 2)).toBe(1);
  });

  it('never gives less than nothing when the counts disagree', () => {
    expect(coresForWorkers({ workers: 2, worker_cpu_shares: [0.9, 0.9], machine_busy_cores: 1.7 }, 2)).toBe(2);
    expect(coresForWorkers({ workers: 2, worker_cpu_shares: [0.1, 0.1], machine_busy_cores: 5 }, 2)).toBe(0);
  });
});

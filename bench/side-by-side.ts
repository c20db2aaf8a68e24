// Runs named cases with the `benchmark` package in one suite, one after another in the same
// process, so a thing and its reference are measured under the same machine load. Prints each
// case's ops/s and returns, per case, the mean rate and the fastest sample's time per op.
import Benchmark from 'benchmark';

export type Cases = Record<string, () => void>;

export interface CaseResult {
  hz: number;
  // Time per op of the fastest sample, in seconds: on a shared machine the least disturbed
  // sample estimates the work's own cost better than the mean.
  fastestPeriodS: number;
}

export interface SideBySideOptions {
  // Measuring time per case, in seconds: bounds the whole suite (benchmark.js's own default of up
  // to 5 s per case would put a codecs run past its 5-minute budget).
  maxTime?: number;
}

export function runSideBySide(title: string, cases: Cases, options: SideBySideOptions = {}): Record<string, CaseResult> {
  const suite = new Benchmark.Suite(title);
  for (const [name, fn] of Object.entries(cases)) suite.add(name, fn, { minTime: 0.1, maxTime: options.maxTime ?? 2, minSamples: 5 });
  const results: Record<string, CaseResult> = {};
  suite.on('cycle', (event: Benchmark.Event) => {
    const bench = event.target as unknown as Benchmark;
    results[bench.name!] = { hz: bench.hz!, fastestPeriodS: Math.min(...bench.stats!.sample!) };
    console.log(`[${title}] ${String(bench)}`);
  });
  suite.run({ async: false });
  return results;
}

// Two significant decimals is all a ratio of two noisy rates deserves; three for shares and
// rates near 0 (recall, the share of late packets).
export const round2 = (value: number): number => Math.round(value * 100) / 100;
export const round3 = (value: number): number => Math.round(value * 1000) / 1000;

// Runs named cases with the `benchmark` package in one suite, one after another in the same
// process, so a thing and its reference are measured under the same machine load. Prints each
// case's ops/s and returns them by name.
import Benchmark from 'benchmark';

export type Cases = Record<string, () => void>;

export interface SideBySideOptions {
  // Measuring time per case, in seconds: bounds the whole suite (benchmark.js's own default of up
  // to 5 s per case would put a codecs run past its 5-minute budget).
  maxTime?: number;
}

export function runSideBySide(title: string, cases: Cases, options: SideBySideOptions = {}): Record<string, number> {
  const suite = new Benchmark.Suite(title);
  for (const [name, fn] of Object.entries(cases)) suite.add(name, fn, { minTime: 0.1, maxTime: options.maxTime ?? 2, minSamples: 5 });
  const hz: Record<string, number> = {};
  suite.on('cycle', (event: Benchmark.Event) => {
    const bench = event.target as Benchmark;
    hz[bench.name!] = bench.hz!;
    console.log(`[${title}] ${String(bench)}`);
  });
  suite.run({ async: false });
  return hz;
}

// Two significant decimals is all a ratio of two noisy rates deserves.
export const round2 = (value: number): number => Math.round(value * 100) / 100;

// `npm run bench -- jitter`: every impairment trace through the adaptive jitter buffer and the
// fixed 60/120 ms baselines in one run; writes the scores (merged into bench/results/jitter.json)
// and bench/results/jitter-delay-vs-loss.svg.
import { writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from '../bench-part.js';
import { delayLossSvg } from './delay-loss-plot.js';
import { benchTraces, type BenchTrace } from './jitter-traces.js';
import { scoreTrace, type TraceScore } from './trace-scoring.js';

function goals(score: TraceScore, { lowJitter, noLoss }: BenchTrace): Record<string, boolean> {
  const spike = score.name.includes('spike');
  return {
    ...(noLoss ? { no_packet_lost: score.late_loss_pct === 0 } : {}),
    late_loss_within_fixed120_plus_half_point: score.late_loss_pct <= score.fixed120.late_loss_pct + 0.5,
    delay_below_fixed120: score.mean_delay_ms < score.fixed120.mean_delay_ms,
    late_loss_at_most_1pct: spike || score.late_loss_pct <= 1,
    delay_below_fixed60: !lowJitter || score.mean_delay_ms < score.fixed60.mean_delay_ms,
  };
}

export async function run(): Promise<BenchResult> {
  const traces = benchTraces.map((bench) => {
    const score = scoreTrace(bench.build());
    return { ...score, low_jitter: bench.lowJitter, goals: goals(score, bench) };
  });
  const resultsDir = fileURLToPath(new URL('../results/', import.meta.url));
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(`${resultsDir}jitter-delay-vs-loss.svg`, delayLossSvg(traces));
  const failed = traces.flatMap((t) => Object.entries(t.goals).filter(([, ok]) => !ok).map(([goal]) => `${t.name}: ${goal}`));
  return { traces, plot: 'bench/results/jitter-delay-vs-loss.svg', goals_met: failed.length === 0, goals_failed: failed };
}

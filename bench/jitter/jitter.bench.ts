// `npm run bench -- jitter`: every trace through the adaptive jitter buffer with time stretching
// (new), the same buffer with whole-frame adaptation (previous, jitterTimeStretch false) and the
// fixed 60/120 ms baselines in one run; a two-hour drifting call both ways; the CPU of the two
// modes side by side (cpu-side-by-side.ts). Writes the scores (merged into bench/results/jitter.json),
// bench/results/jitter-delay-vs-loss.svg and bench/results/jitter-delay-over-time.svg.
import { writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from '../bench-part.js';
import { delayLossSvg } from './delay-loss-plot.js';
import { delayOverTimeSvg } from './delay-time-plot.js';
import { cpuSideBySide } from './cpu-side-by-side.js';
import { scoreDriftCall, type DriftScore } from './drift-call.js';
import { benchTraces, type BenchTrace } from './jitter-traces.js';
import { planSpeech, runSpeech } from './speech-run.js';
import { scoreTrace, type TraceScore } from './trace-scoring.js';

const PLOTTED_TRACE = 'spike-300ms-every-10s';
const PLOT_WINDOW_S: [number, number] = [2, 22];
// The headline CPU ratio's rounds (cpu-side-by-side.ts): about 60 ms each.
const CPU_ROUNDS = 15;
// "No worse" allows what one packet in a minute's three thousand moves.
const LOSS_TOLERANCE_PCT = 0.05;
const DELAY_TOLERANCE_MS = 2;

function goals(score: TraceScore, { lowJitter, noLoss }: BenchTrace): Record<string, boolean> {
  const spike = score.name.includes('spike');
  const { previous } = score;
  return {
    ...(noLoss ? { no_packet_lost: score.late_loss_pct === 0 } : {}),
    late_loss_within_fixed120_plus_half_point: score.late_loss_pct <= score.fixed120.late_loss_pct + 0.5,
    delay_below_fixed120: score.mean_delay_ms < score.fixed120.mean_delay_ms,
    late_loss_at_most_1pct: spike || score.late_loss_pct <= 1,
    delay_below_fixed60: !lowJitter || score.mean_delay_ms < score.fixed60.mean_delay_ms,
    no_whole_frame_changes_without_spikes: spike || score.whole_frame_changes_per_min === 0,
    late_loss_no_worse_than_previous: score.late_loss_pct <= previous.late_loss_pct + LOSS_TOLERANCE_PCT,
    mean_delay_no_worse_than_previous: score.mean_delay_ms <= previous.mean_delay_ms + DELAY_TOLERANCE_MS,
    lsd_no_worse_than_previous: score.log_spectral_distance_db <= previous.log_spectral_distance_db,
    clicks_no_more_than_previous: score.clicks_per_min <= previous.clicks_per_min,
  };
}

function driftGoals(drift: DriftScore): Record<string, boolean> {
  return {
    delay_does_not_creep: Math.abs(drift.new.delay_last_10min_ms - drift.new.delay_first_10min_ms) <= 5,
    no_whole_frame_changes: drift.new.whole_frame_changes_per_min === 0,
  };
}

export async function run(): Promise<BenchResult> {
  const traces = benchTraces.map((bench) => {
    const score = scoreTrace(bench.build(), bench.codec);
    return { ...score, low_jitter: bench.lowJitter, goals: goals(score, bench) };
  });
  const drift = [200, -200].map((ppm) => {
    const score = scoreDriftCall(ppm);
    return { ...score, goals: driftGoals(score) };
  });
  const plotted = benchTraces.find((bench) => bench.name === PLOTTED_TRACE)!;
  const plan = planSpeech(plotted.build(), 1, plotted.codec);
  const cpu = cpuSideBySide(plan, CPU_ROUNDS);
  const overTime = { stretched: runSpeech(plan, true, true).delays, previous: runSpeech(plan, false, true).delays };

  const resultsDir = fileURLToPath(new URL('../results/', import.meta.url));
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(`${resultsDir}jitter-delay-vs-loss.svg`, delayLossSvg(traces));
  writeFileSync(`${resultsDir}jitter-delay-over-time.svg`, delayOverTimeSvg(PLOTTED_TRACE, overTime, ...PLOT_WINDOW_S));
  const failed = [
    ...traces.flatMap((t) => Object.entries(t.goals).filter(([, ok]) => !ok).map(([goal]) => `${t.name}: ${goal}`)),
    ...drift.flatMap((d) => Object.entries(d.goals).filter(([, ok]) => !ok).map(([goal]) => `${d.name}: ${goal}`)),
    ...(cpu.ratio <= 1.2 ? [] : [`cpu ratio ${cpu.ratio} above 1.2`]),
  ];
  return {
    traces,
    drift,
    cpu_per_call_second: cpu,
    cpu_ratio_vs_previous: cpu.ratio,
    plots: ['bench/results/jitter-delay-vs-loss.svg', 'bench/results/jitter-delay-over-time.svg'],
    goals_met: failed.length === 0,
    goals_failed: failed,
  };
}

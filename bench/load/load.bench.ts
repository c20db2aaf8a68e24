// Capacity and latency of a node, media only and end to end, side by side in one run. The node
// under test (media-node.ts: the native engine on its realtime clock) and the C load generator
// (rtp_loadgen.c) run as separate processes on 127.0.0.1 (load-step.ts); end to end, every call's
// bot connection talks over a real WebSocket to an echo bot in its own process (echo-bot.ts), in
// the Parley protocol and, in one step, Twilio Media Streams. N calls are ramped until 0.1 % or
// more of the node's packets reach the generator over a frame late (or missing), or the node's
// core is saturated. The whole bench is bounded: every ramp stops when its time budget is spent.
//
// Media workers: until the node runs its own worker processes, N media-node processes side by
// side (one per core, calls split evenly) stand in for N workers.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import alawmulaw from 'alawmulaw';
import type { BenchResult } from '../bench-part.js';
import { renderSpeech } from '../../test/support/speech.js';
import { OpusEncoder } from '../../engine/native/opus.js';
import { measureRawOpusUsPerFrame, opusBenchSpeech } from '../codecs/raw-opus.js';
import { splitFrames } from '../frames.js';
import { round2 } from '../side-by-side.js';
import { cpuAvailability, OPUS_COMPLEXITY, pinned, runStep, type StepResult, type StepSpec } from './load-step.js';
import type { LoadCodec } from './media-node-protocol.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const buildDir = join(here, '..', '.build');
const LATE_LIMIT_PCT = 0.1;
const SATURATED_CPU_SHARE = 0.95;
// The rate the node's calls code toward their bot, and so the rate its Opus legs code at.
const BOT_RATE_HZ = 16000;
// Ramp budgets (ms): a ramp stops once its budget is spent; each step takes ~8-10 s. With the
// single steps around them, the whole bench stays near 5 minutes.
const BUDGET_MS = { pcmu: 75_000, opus: 30_000, e2e: 50_000, hog: 30_000, workers: 30_000 };
const CALLS_STEP = 50;

function buildGenerator(): string {
  mkdirSync(buildDir, { recursive: true });
  const binary = join(buildDir, 'rtp_loadgen');
  execFileSync('cc', ['-O2', '-o', binary, join(here, 'rtp_loadgen.c')]);
  return binary;
}

function writeFrames(file: string, payloads: Uint8Array[]): void {
  const chunks: Buffer[] = [];
  for (const payload of payloads) {
    const length = Buffer.alloc(2);
    length.writeUInt16BE(payload.length);
    chunks.push(length, Buffer.from(payload));
  }
  writeFileSync(file, Buffer.concat(chunks));
}

// The callers' side: PCMU of espeak-ng speech, and Opus of the speech the Opus floor is measured on.
function prepareFrames(): Record<LoadCodec, string> {
  const pcmu = join(buildDir, 'frames-pcmu.bin');
  const speech8k = renderSpeech('The quick brown fox jumps over the lazy dog, then counts to ten slowly.', { rateHz: 8000 });
  writeFrames(pcmu, splitFrames(speech8k, 160).map((frame) => alawmulaw.mulaw.encode(frame)));
  const encoder = new OpusEncoder({ complexity: OPUS_COMPLEXITY });
  const opus = join(buildDir, 'frames-opus.bin');
  writeFrames(opus, splitFrames(opusBenchSpeech(), 960).map((frame) => encoder.encode(frame)));
  return { PCMU: pcmu, opus };
}

function logged(result: StepResult, label: string): StepResult {
  const bot = result.bot_round_trip_share === undefined ? '' : `, bot round trips ${(100 * result.bot_round_trip_share).toFixed(0)} %`;
  console.log(
    `[load] ${label} ${result.calls} calls: late ${result.late_pct.toFixed(3)} %, node cpu ${(100 * result.cpu_share).toFixed(0)} %, ${result.cpu_us_per_call_second} µs/call-s (kernel ${(100 * result.kernel_share_of_cpu).toFixed(0)} %), latency p99 ${result.tick_latency_p99_us} µs (tick work ${result.tick_work_p99_us} µs)${bot}`,
  );
  return result;
}

const carried = (step: StepResult): boolean => step.late_pct < LATE_LIMIT_PCT && step.cpu_share <= SATURATED_CPU_SHARE;
const pairRatio = (step: StepResult, reference: StepResult): number | null =>
  carried(step) && carried(reference) ? round2(step.cpu_us_per_call_second / reference.cpu_us_per_call_second) : null;
const roundCalls = (calls: number): number => Math.max(CALLS_STEP, Math.round(calls / CALLS_STEP) * CALLS_STEP);

interface Ramp {
  capacity: number;
  atCapacity?: StepResult;
  steps: StepResult[];
}

class LoadBench {
  private readonly generator = buildGenerator();
  private readonly frames = prepareFrames();

  async step(spec: StepSpec, label: string): Promise<StepResult> {
    return logged(await runStep(this.generator, this.frames[spec.codec], { botRateHz: BOT_RATE_HZ, ...spec }), label);
  }

  // One failed run is repeated: on a shared machine a neighbour's burst of a few seconds fails a
  // run the node alone would pass. Two failures in a row end the ramp; both are recorded.
  async ramp(base: Omit<StepSpec, 'calls'>, steps: number[], budgetMs: number, label: string): Promise<Ramp> {
    const started = performance.now();
    const results: StepResult[] = [];
    let capacity = 0;
    let atCapacity: StepResult | undefined;
    // Shares of a small capacity can round to the same number of calls: each is run once.
    for (const calls of [...new Set(steps)]) {
      if (performance.now() - started > budgetMs) {
        console.log(`[load] ${label}: time budget spent, ramp stops at ${capacity} calls`);
        break;
      }
      let result = await this.step({ ...base, calls }, label);
      results.push(result);
      if (!carried(result)) {
        result = await this.step({ ...base, calls }, `${label} (again)`);
        results.push(result);
      }
      if (!carried(result)) break;
      capacity = calls;
      atCapacity = result;
    }
    return { capacity, atCapacity, steps: results };
  }

  // The CPU cost per call-second at a busy step: on a shared machine, where other processes'
  // load makes frames late long before this node's core is full, 1 s ÷ that cost is the capacity
  // the node's own work allows. When the ramp stopped early, one probe at `probeCalls` measures it.
  async cpuProbe(base: Omit<StepSpec, 'calls'>, ramped: Ramp, probeCalls: number, label: string): Promise<StepResult> {
    const busiest = ramped.steps.reduce((best, step) => (step.calls > best.calls ? step : best));
    if (busiest.calls >= probeCalls) return busiest;
    return this.step({ ...base, calls: probeCalls }, `${label} cpu probe`);
  }
}

export async function run(): Promise<BenchResult> {
  const bench = new LoadBench();
  const availableBefore = cpuAvailability();
  console.log(`[load] one core available to this bench: ${(100 * availableBefore.cpu_share).toFixed(0)} % (longest stall ${availableBefore.max_stall_ms} ms)`);
  const rawOpusUs = measureRawOpusUsPerFrame({ complexity: OPUS_COMPLEXITY, rateHz: BOT_RATE_HZ });
  // The machine's own noise: late frames with almost no load say how loud it is.
  const quiet = await bench.step({ codec: 'PCMU', calls: 10 }, 'noise floor, PCMU');

  // Media only: the in-process echo as the bot.
  const pcmuSpec = { codec: 'PCMU' } as const;
  const pcmu = await bench.ramp(pcmuSpec, [100, 200, 400, 700, 1000, 1300, 1600, 2000], BUDGET_MS.pcmu, 'PCMU media only');
  const pcmuProbe = await bench.cpuProbe(pcmuSpec, pcmu, 600, 'PCMU media only');
  const mediaCapacity = Math.max(pcmu.capacity, CALLS_STEP);
  const opusSpec = { codec: 'opus' } as const;
  const opus = await bench.ramp(opusSpec, [20, 40, 60, 80, 100, 120], BUDGET_MS.opus, 'Opus media only');
  const opusProbe = await bench.cpuProbe(opusSpec, opus, 40, 'Opus media only');

  // End to end: each call's bot over a WebSocket to the echo bot process, the Parley protocol.
  const e2eSpec = { codec: 'PCMU', bot: 'parley' } as const;
  const e2e = await bench.ramp(e2eSpec, [0.25, 0.4, 0.55, 0.7, 0.85, 1].map((share) => roundCalls(share * mediaCapacity)), BUDGET_MS.e2e, 'PCMU end to end (parley)');
  const e2eCapacity = Math.max(e2e.capacity, CALLS_STEP);
  // Both costs at the same number of calls, in this run: the pair the ratios are taken from, at
  // the end-to-end capacity. CPU per call-second means something only for a step the node carried
  // (a starved node skips work, and loses round trips): a ratio with an uncarried side is null.
  const pairCalls = Math.max(e2e.capacity, CALLS_STEP);
  const e2ePair = e2e.atCapacity ?? (await bench.step({ ...e2eSpec, calls: pairCalls }, 'PCMU end to end (parley), pair'));
  const mediaPair = pcmu.steps.find((step) => step.calls === pairCalls && carried(step)) ?? (await bench.step({ ...pcmuSpec, calls: pairCalls }, 'PCMU media only, pair'));
  const twilioPair = await bench.step({ codec: 'PCMU', bot: 'twilio', calls: pairCalls }, 'PCMU end to end (twilio), pair');
  // Engine latency (a slot's due time → every due frame written to its bot's socket) at 50 % and
  // 80 % of the end-to-end capacity.
  const at50 = await bench.step({ ...e2eSpec, calls: roundCalls(0.5 * e2eCapacity) }, 'PCMU end to end (parley), 50 % of capacity');
  const at80 = await bench.step({ ...e2eSpec, calls: roundCalls(0.8 * e2eCapacity) }, 'PCMU end to end (parley), 80 % of capacity');

  // Beside a niced CPU hog on every other core: media only, ramped up to the quiet capacity.
  const hog = await bench.ramp({ ...pcmuSpec, hog: true }, [0.5, 0.65, 0.8, 0.9, 1].map((share) => roundCalls(share * mediaCapacity)), BUDGET_MS.hog, 'PCMU media only beside a CPU hog');
  // N node processes (one per core) as N workers: ramped from one node's capacity up to N of them.
  const workers = cpus().length;
  const nWorkers = await bench.ramp(
    { ...pcmuSpec, nodes: workers },
    [1, 1.2, 1.4, 1.6, 1.8, 2].map((share) => roundCalls(((share * workers) / 2) * mediaCapacity)),
    BUDGET_MS.workers,
    `PCMU media only, ${workers} node processes`,
  );

  const availableAfter = cpuAvailability();
  const rawUs = Math.min(rawOpusUs, measureRawOpusUsPerFrame({ complexity: OPUS_COMPLEXITY, rateHz: BOT_RATE_HZ }));
  const ceiling = Math.floor(20_000 / rawUs);
  const mediaCpu = (pcmu.atCapacity ?? pcmuProbe).cpu_us_per_call_second;
  // A ratio to a capacity of 0 (no step carried: a machine too busy for realtime) is null, not 0.
  const overQuiet = (calls: number): number | null => (pcmu.capacity > 0 ? round2(calls / pcmu.capacity) : null);
  return {
    calls_per_core_pcmu: pcmu.capacity,
    calls_per_core_opus: opus.capacity,
    opus_ceiling_calls_per_core: ceiling,
    opus_ceiling_rate_hz: BOT_RATE_HZ,
    opus_over_ceiling: round2(opus.capacity / ceiling),
    opus_raw_c_encode_decode_us_per_frame: round2(rawUs),
    cpu_us_per_call_second_pcmu: mediaCpu,
    cpu_us_per_call_second_opus: (opus.atCapacity ?? opusProbe).cpu_us_per_call_second,
    cpu_bound_calls_per_core_pcmu: Math.floor(1e6 / pcmuProbe.cpu_us_per_call_second),
    cpu_bound_calls_per_core_opus: Math.floor(1e6 / opusProbe.cpu_us_per_call_second),
    cpu_bound_opus_over_ceiling: round2(Math.floor(1e6 / opusProbe.cpu_us_per_call_second) / ceiling),
    kernel_share_of_cpu_pcmu: pcmuProbe.kernel_share_of_cpu,
    // End to end against media only, at the same number of calls in this run.
    pair_calls: pairCalls,
    cpu_us_per_call_second_pcmu_media_pair: mediaPair.cpu_us_per_call_second,
    cpu_us_per_call_second_pcmu_e2e: e2ePair.cpu_us_per_call_second,
    cpu_us_per_call_second_pcmu_e2e_twilio: twilioPair.cpu_us_per_call_second,
    e2e_over_media_cpu: pairRatio(e2ePair, mediaPair),
    e2e_twilio_over_media_cpu: pairRatio(twilioPair, mediaPair),
    calls_per_core_e2e_pcmu: e2e.capacity,
    cpu_bound_calls_per_core_e2e_pcmu: Math.floor(1e6 / e2ePair.cpu_us_per_call_second),
    engine_latency_p99_us_10_calls: quiet.tick_latency_p99_us,
    engine_latency_p99_us: (pcmu.atCapacity ?? quiet).tick_latency_p99_us,
    engine_latency_p99_us_at_50pct: at50.tick_latency_p99_us,
    engine_latency_p99_us_at_80pct: at80.tick_latency_p99_us,
    calls_per_core_pcmu_beside_hog: hog.capacity,
    capacity_beside_hog_over_quiet: overQuiet(hog.capacity),
    workers,
    calls_per_node_pcmu_1_worker: pcmu.capacity,
    calls_per_node_pcmu_n_workers: nWorkers.capacity,
    worker_scaling_efficiency: overQuiet(nWorkers.capacity / workers),
    noise_floor_late_pct: round2(quiet.late_pct),
    // Share of one core a spinning process got before and after the run (1 on an idle machine).
    cpu_available_share_before: availableBefore.cpu_share,
    cpu_available_share_after: availableAfter.cpu_share,
    cpu_available_max_stall_ms: Math.max(availableBefore.max_stall_ms, availableAfter.max_stall_ms),
    load_pinned_to_cores: pinned,
    notes: [
      `workers: ${workers} media-node processes side by side (calls split evenly) stand in for ${workers} media workers; the node has no worker processes on this branch yet`,
      'hog: one `nice -n 19` busy loop per core beyond the first, unpinned unless PARLEY_LOAD_PIN=1',
      'e2e: echo bot in its own process on 127.0.0.1 (bench/load/echo-bot.ts); node CPU only',
      `capacity ramps are time-bounded (${JSON.stringify(BUDGET_MS)} ms): a ramp that ran out of time reports the last step it carried`,
    ],
    load_steps: { quiet, pcmu: pcmu.steps, pcmu_cpu_probe: pcmuProbe, opus: opus.steps, opus_cpu_probe: opusProbe, e2e: e2e.steps, e2e_pair: e2ePair, media_pair: mediaPair, twilio_pair: twilioPair, at_50pct: at50, at_80pct: at80, hog: hog.steps, n_workers: nWorkers.steps },
  };
}

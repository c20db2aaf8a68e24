// Capacity of one core: the node under test (media-node.ts, one JS thread driving the native
// engine) and the C load generator (rtp_loadgen.c) run as separate processes on 127.0.0.1, pinned
// to different cores when PARLEY_LOAD_PIN=1 (on a dedicated machine; on a shared one, pinning
// queues both behind whatever else runs on those cores). N calls send RTP both ways at 20 ms
// pacing, and N is ramped until 0.1 % or more of the node's packets reach the generator over a frame late (or
// missing), or the node's core is saturated. The Opus ceiling (20 ms ÷ raw C libopus encode +
// decode cost on the same speech at the same complexity) is measured in the same run.
import { execFileSync, fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import alawmulaw from 'alawmulaw';
import { z } from 'zod';
import type { BenchResult } from '../bench-part.js';
import { renderSpeech } from '../../test/support/speech.js';
import { OpusEncoder } from '../../engine/native/opus.js';
import { measureRawOpusUsPerFrame, opusBenchSpeech } from '../codecs/raw-opus.js';
import { splitFrames } from '../frames.js';
import { round2 } from '../side-by-side.js';
import { nodeReportSchema, type LoadCodec } from './media-node-protocol.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const buildDir = join(here, '..', '.build');
const MEASURE_SECONDS = 4;
const WARMUP_SECONDS = 2;
const LATE_LIMIT_PCT = 0.1;
const SATURATED_CPU_SHARE = 0.95;
const FIRST_PORT = 30000;
// The whole bench stays under 5 minutes (two ramps, each at most its budget plus one step of
// ~8 s, three single steps and two raw Opus runs): a ramp stops early when its budget is spent.
const RAMP_BUDGET_MS = 90_000;
const OPUS_COMPLEXITY = 5;

const generatorOutput = z.object({ sent: z.number(), received: z.number(), late: z.number(), late_pct: z.number() });

export interface StepResult {
  calls: number;
  late_pct: number;
  sent: number;
  received: number;
  cpu_us_per_call_second: number;
  cpu_share: number;
  kernel_share_of_cpu: number;
  tick_latency_p99_us: number;
  tick_work_p99_us: number;
}

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

const pinned = process.env.PARLEY_LOAD_PIN === '1' && cpus().length >= 2;

function lateFraction(sent: number, received: number, late: number, calls: number): number {
  // A packet the node never sent back counts as late; a frame or two per call may still be in
  // flight when the generator stops.
  const missing = Math.max(0, sent - received - calls * 2);
  return (100 * (late + missing)) / Math.max(1, sent);
}

async function runStep(generator: string, framesFile: string, codec: LoadCodec, calls: number, botRateHz = 16000): Promise<StepResult> {
  const node = fork(join(here, 'media-node.ts'), [codec, String(calls), String(FIRST_PORT), String(OPUS_COMPLEXITY), String(botRateHz)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  // A node that dies (a port taken, a crash) must fail the bench, not hang it.
  const died = once(node, 'exit').then(([code]) => {
    throw new Error(`media node exited early (code ${String(code)})`);
  });
  died.catch(() => {});
  const nextMessage = async (): Promise<unknown> => ((await Promise.race([once(node, 'message'), died])) as [unknown])[0];
  if (pinned) execFileSync('taskset', ['-pc', '0', String(node.pid)], { stdio: 'ignore' });
  const ready = (await nextMessage()) as { type?: string };
  if (ready.type !== 'ready') throw new Error('media node did not start');
  const [payloadType, samples, clock] = codec === 'opus' ? [111, 960, 48000] : [0, 160, 8000];
  const args = [String(FIRST_PORT), String(calls), String(MEASURE_SECONDS + WARMUP_SECONDS), String(payloadType), String(samples), String(clock), framesFile, String(WARMUP_SECONDS)];
  const load = pinned ? spawn('taskset', ['-c', '1', generator, ...args]) : spawn(generator, args);
  let output = '';
  load.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const loadExited = once(load, 'exit');
  await new Promise((resolve) => setTimeout(resolve, WARMUP_SECONDS * 1000));
  node.send({ type: 'start' });
  await loadExited;
  const exited = once(node, 'exit');
  node.send({ type: 'stop' });
  const report = nodeReportSchema.parse(await nextMessage());
  await exited;
  const generated = generatorOutput.parse(JSON.parse(output));
  // Call-seconds actually served: the node's packets that reached the generator in its counting
  // window (one per 20 ms frame), scaled to the node's own window. A starved node skips frames,
  // so calls × wall time would flatter its cost.
  const callSeconds = (generated.received / 50) * (report.wallMs / 1000 / MEASURE_SECONDS);
  return {
    calls,
    late_pct: lateFraction(generated.sent, generated.received, generated.late, calls),
    sent: generated.sent,
    received: generated.received,
    cpu_us_per_call_second: Math.round(report.cpuUs / Math.max(1e-3, callSeconds)),
    cpu_share: round2(report.cpuUs / (report.wallMs * 1000)),
    kernel_share_of_cpu: round2(report.cpuSystemUs / Math.max(1, report.cpuUs)),
    tick_latency_p99_us: report.tickLatencyP99Us,
    tick_work_p99_us: report.tickWorkP99Us,
  };
}

const carried = (step: StepResult): boolean => step.late_pct < LATE_LIMIT_PCT && step.cpu_share <= SATURATED_CPU_SHARE;

function logged(result: StepResult, codec: LoadCodec, note = ''): StepResult {
  console.log(`[load] ${codec} ${result.calls} calls${note ? ` (${note})` : ''}: late ${result.late_pct.toFixed(3)} %, node cpu ${(100 * result.cpu_share).toFixed(0)} %, ${result.cpu_us_per_call_second} µs/call-s (kernel ${(100 * result.kernel_share_of_cpu).toFixed(0)} %), tick p99 ${result.tick_latency_p99_us} µs (work ${result.tick_work_p99_us} µs)`);
  return result;
}

interface Ramp {
  capacity: number;
  atCapacity?: StepResult;
  steps: StepResult[];
}

async function ramp(generator: string, framesFile: string, codec: LoadCodec, steps: number[]): Promise<Ramp> {
  const started = performance.now();
  const results: StepResult[] = [];
  let capacity = 0;
  let atCapacity: StepResult | undefined;
  for (const calls of steps) {
    if (performance.now() - started > RAMP_BUDGET_MS) {
      console.log(`[load] ${codec}: time budget spent, ramp stops at ${capacity} calls`);
      break;
    }
    let result = logged(await runStep(generator, framesFile, codec, calls), codec);
    results.push(result);
    // One failed run is repeated: on a shared machine a neighbour's burst of a few seconds fails
    // a run the node alone would pass. Two failures in a row end the ramp; both are recorded.
    if (!carried(result)) {
      result = logged(await runStep(generator, framesFile, codec, calls), codec, 'again');
      results.push(result);
    }
    if (!carried(result)) break;
    capacity = calls;
    atCapacity = result;
  }
  return { capacity, atCapacity, steps: results };
}

// The CPU cost per call-second at a busy step: on a shared machine, where other processes' load
// makes frames late long before this node's core is full, 1 s ÷ that cost is the capacity the
// node's own work allows. When the ramp stopped early, one probe step at `probeCalls` measures it.
async function cpuProbe(generator: string, framesFile: string, codec: LoadCodec, ramped: Ramp, probeCalls: number): Promise<StepResult> {
  const busiest = ramped.steps.reduce((best, step) => (step.calls > best.calls ? step : best));
  if (busiest.calls >= probeCalls) return busiest;
  const probe = await runStep(generator, framesFile, codec, probeCalls);
  console.log(`[load] ${codec} cpu probe at ${probeCalls} calls: late ${probe.late_pct.toFixed(3)} %, node cpu ${(100 * probe.cpu_share).toFixed(0)} %, ${probe.cpu_us_per_call_second} µs/call-s`);
  return probe;
}

export async function run(): Promise<BenchResult> {
  const generator = buildGenerator();
  const framesFiles = prepareFrames();
  const rawOpusUs = measureRawOpusUsPerFrame({ complexity: OPUS_COMPLEXITY });
  // The machine's own noise: late frames with almost no load say how loud it is.
  const quiet = await runStep(generator, framesFiles.PCMU, 'PCMU', 10);
  console.log(`[load] noise floor (10 PCMU calls): late ${quiet.late_pct.toFixed(3)} %, tick p99 ${quiet.tick_latency_p99_us} µs`);
  const pcmu = await ramp(generator, framesFiles.PCMU, 'PCMU', [200, 400, 600, 800, 900, 1000, 1100, 1200, 1400]);
  const pcmuProbe = await cpuProbe(generator, framesFiles.PCMU, 'PCMU', pcmu, 600);
  // The same probe with an 8 kHz bot: no resampling on the leg, so the difference is its cost.
  const pcmuBot8k = await runStep(generator, framesFiles.PCMU, 'PCMU', pcmuProbe.calls, 8000);
  console.log(`[load] PCMU with an 8 kHz bot at ${pcmuBot8k.calls} calls: node cpu ${(100 * pcmuBot8k.cpu_share).toFixed(0)} %, ${pcmuBot8k.cpu_us_per_call_second} µs/call-s`);
  const opus = await ramp(generator, framesFiles.opus, 'opus', [20, 40, 60, 70, 80, 85, 90, 95, 100, 110]);
  const opusProbe = await cpuProbe(generator, framesFiles.opus, 'opus', opus, 40);
  const rawUs = Math.min(rawOpusUs, measureRawOpusUsPerFrame({ complexity: OPUS_COMPLEXITY }));
  const ceiling = Math.floor(20_000 / rawUs);
  return {
    calls_per_core_pcmu: pcmu.capacity,
    calls_per_core_opus: opus.capacity,
    opus_ceiling_calls_per_core: ceiling,
    opus_over_ceiling: round2(opus.capacity / ceiling),
    opus_raw_c_encode_decode_us_per_frame: round2(rawUs),
    cpu_us_per_call_second_pcmu: (pcmu.atCapacity ?? pcmuProbe).cpu_us_per_call_second,
    cpu_us_per_call_second_opus: (opus.atCapacity ?? opusProbe).cpu_us_per_call_second,
    // At capacity one tick serves every call in turn, so the last call's frame waits for the
    // others: the figure is the tick's own length plus the timer's lateness. At 10 calls it is
    // what one call's media costs.
    engine_latency_p99_us: (pcmu.atCapacity ?? quiet).tick_latency_p99_us,
    engine_tick_work_p99_us: (pcmu.atCapacity ?? quiet).tick_work_p99_us,
    engine_latency_p99_us_10_calls: quiet.tick_latency_p99_us,
    kernel_share_of_cpu_pcmu: pcmuProbe.kernel_share_of_cpu,
    cpu_us_per_call_second_pcmu_bot_8k: pcmuBot8k.cpu_us_per_call_second,
    cpu_bound_calls_per_core_pcmu: Math.floor(1e6 / pcmuProbe.cpu_us_per_call_second),
    cpu_bound_calls_per_core_opus: Math.floor(1e6 / opusProbe.cpu_us_per_call_second),
    cpu_bound_opus_over_ceiling: round2(Math.floor(1e6 / opusProbe.cpu_us_per_call_second) / ceiling),
    noise_floor_late_pct: round2(quiet.late_pct),
    load_pinned_to_cores: pinned,
    load_steps: { quiet, pcmu: pcmu.steps, pcmu_cpu_probe: pcmuProbe, pcmu_bot_8k: pcmuBot8k, opus: opus.steps, opus_cpu_probe: opusProbe },
  };
}

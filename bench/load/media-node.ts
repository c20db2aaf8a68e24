// The node under test for the load bench, run as a child process: the node's control plane for
// media (engine/workers' WorkerPool, as api/main.ts builds it with PARLEY_MEDIA_WORKERS) with N
// real media worker processes (load-worker-main.ts). On request it places N calls' RTP legs by
// load over the workers, each with its bot: the worker's in-process echo (media only), or the
// worker's real bot connection over a WebSocket to the echo bot process (end to end). Over a
// window it reports each worker's CPU (from /proc, exact to the window), how long each worker's
// event loop waited for a core (a realtime worker on a shared machine is late by that much,
// whatever its own work), its own CPU, the machine's busy cores, and the workers' engine-latency
// histogram (parley_media_engine_latency_seconds, diffed between their periodic reports).
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { botConfigSchema } from '../../engine/bot/bot-config.js';
import type { MediaLeg } from '../../engine/call/media-leg.js';
import { ENGINE_LATENCY_METRIC } from '../../engine/media/media-metrics.js';
import { WorkerPool } from '../../engine/workers/worker-pool.js';
import { workerMetrics } from '../../engine/workers/worker-metrics.js';
import { nodeArgsSchema, nodeRequestSchema, type NodeReply, type NodeRequest } from './media-node-protocol.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const [workers, protocol, botUrl, realtimePriority] = nodeArgsSchema.parse(process.argv.slice(2));
// /proc/<pid>/stat counts CPU in clock ticks of 1/100 s on Linux.
const CLOCK_TICKS_PER_S = 100;

const logger = pino({ level: 'warn' });
const pool = new WorkerPool({
  count: workers,
  entry: join(here, 'load-worker-main.ts'),
  legKinds: { echo: {} },
  bot: botConfigSchema.parse(botUrl === '-' ? { protocol } : { url: botUrl, protocol }),
  logLevel: 'warn',
  realtimePriority,
  logger,
});

function reply(message: NodeReply): void {
  process.send?.(message);
}

// User and system CPU of a process, µs.
function processCpuUs(pid: number): { user: number; system: number } {
  // Fields after the command name (which may hold spaces, so split after its closing paren).
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const toUs = (ticks: string): number => (Number(ticks) * 1e6) / CLOCK_TICKS_PER_S;
  return { user: toUs(fields[11]!), system: toUs(fields[12]!) };
}

// How long the process's main thread has waited on a run queue, µs (schedstat's second field, ns).
function mainThreadWaitUs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1000;
}

// The machine's busy and total CPU time so far, in /proc/stat's ticks: user to steal (guest time
// is counted in user already); idle and iowait are not busy.
function machineTicks(): { busy: number; total: number } {
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((sum, value) => sum + value, 0);
  return { busy: total - ticks[3]! - ticks[4]!, total };
}

type MetricJson = { name: string; values: Array<{ value: number; labels: Record<string, string | number>; metricName?: string }> };

// The engine latency histogram of every worker's last report: cumulative count by bucket bound (µs).
function latencyBuckets(): Map<number, number> {
  const buckets = new Map<number, number>();
  for (let index = 0; index < workers; index++) {
    const metrics = (workerMetrics.lastReport(index)?.metrics ?? []) as MetricJson[];
    const latency = metrics.find((metric) => metric.name === ENGINE_LATENCY_METRIC);
    for (const value of latency?.values ?? []) {
      if (!value.metricName?.endsWith('_bucket')) continue;
      const bound = value.labels.le === '+Inf' ? Infinity : Number(value.labels.le) * 1e6;
      buckets.set(bound, (buckets.get(bound) ?? 0) + value.value);
    }
  }
  return buckets;
}

let legs: MediaLeg[] = [];
let callSerial = 0;
interface Window {
  cpu: Array<{ user: number; system: number }>;
  waitUs: number[];
  control: NodeJS.CpuUsage;
  machine: { busy: number; total: number };
  wall: number;
  latency: Map<number, number>;
}
let window: Window | undefined;

const pids = (): number[] => Array.from({ length: workers }, (_, index) => pool.pidOf(index)!);

async function place(request: Extract<NodeRequest, { type: 'calls' }>): Promise<number[]> {
  await Promise.all(legs.map((leg) => leg.close('bench_step_over')));
  const options = {
    codec: request.codec,
    payloadType: request.codec === 'opus' ? 111 : 0,
    bargeIn: false,
    opusComplexity: request.opusComplexity,
    botRateHz: request.botRateHz,
    ...(request.echoCancellation === undefined ? {} : { echoCancellation: request.echoCancellation }),
  };
  const placed = await Promise.all(
    Array.from({ length: request.calls }, async () => {
      const callId = `load-${++callSerial}`;
      const { leg, result } = await pool.createLeg(callId, request.bot ? 'rtp' : 'echo', options);
      if (request.bot) leg.attachBot({ callId, source: 'sip' });
      return { leg, port: result.localPort as number };
    }),
  );
  legs = placed.map(({ leg }) => leg);
  return placed.map(({ port }) => port);
}

function report(): NodeReply {
  const started = window!;
  const cpu = pids().map(processCpuUs);
  const latency = latencyBuckets();
  const latencyBucketsUs: Array<[number, number]> = [...latency].map(([bound, count]) => [bound, count - (started.latency.get(bound) ?? 0)]);
  const control = process.cpuUsage(started.control);
  const machine = machineTicks();
  return {
    type: 'report',
    workerCpuUs: cpu.map((now, i) => now.user + now.system - started.cpu[i]!.user - started.cpu[i]!.system),
    workerSystemUs: cpu.map((now, i) => now.system - started.cpu[i]!.system),
    workerWaitUs: pids().map((pid, i) => mainThreadWaitUs(pid) - started.waitUs[i]!),
    workerCalls: Array.from({ length: workers }, (_, index) => pool.callsOf(index)),
    workerRealtime: Array.from({ length: workers }, (_, index) => workerMetrics.lastReport(index)?.realtime === true).every(Boolean),
    controlCpuUs: control.user + control.system,
    machineBusyCores: (cpus().length * (machine.busy - started.machine.busy)) / Math.max(1, machine.total - started.machine.total),
    wallMs: performance.now() - started.wall,
    // JSON has no Infinity: the open bucket goes as bound -1.
    latencyBucketsUs: latencyBucketsUs.map(([bound, count]) => [Number.isFinite(bound) ? bound : -1, count]),
  };
}

async function handle(request: NodeRequest): Promise<void> {
  switch (request.type) {
    case 'calls':
      reply({ type: 'placed', ports: await place(request) });
      return;
    case 'start':
      window = {
        cpu: pids().map(processCpuUs),
        waitUs: pids().map(mainThreadWaitUs),
        control: process.cpuUsage(),
        machine: machineTicks(),
        wall: performance.now(),
        latency: latencyBuckets(),
      };
      reply({ type: 'started' });
      return;
    case 'stop':
      reply(report());
      return;
  }
}

await pool.start();
process.on('message', (raw: unknown) => {
  handle(nodeRequestSchema.parse(raw)).catch((error: unknown) => {
    logger.error({ err: error }, 'load node request failed');
    process.exit(1);
  });
});
// The bench going away ends the node (and its workers with it).
process.on('disconnect', () => void pool.stop().finally(() => process.exit(0)));
reply({ type: 'ready' });

// One measured step of the load bench: the C load generator (rtp_loadgen.c) sends N calls' RTP to
// the node under test (media-node.ts: the node's media control plane and its real media worker
// processes), whose calls talk to an in-worker echo or, end to end, to the echo bot process
// (echo-bot.ts) over real WebSockets; optionally beside a niced CPU hog. The node and the echo bot
// live across steps (a step places its calls afresh); every process is stopped by its own pid when
// the bench is done with it, and a process that does not answer in time fails the step.
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { round2, round3 } from '../side-by-side.js';
import { nodeReplySchema, type LoadBot, type LoadCodec, type NodeReply, type NodeRequest } from './media-node-protocol.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const MEASURE_SECONDS = 4;
const WARMUP_SECONDS = 2;
// Bot connections (a WebSocket handshake each) settle before the window opens.
const BOT_WARMUP_SECONDS = 3;
const STEP_SECONDS_MAX = MEASURE_SECONDS + BOT_WARMUP_SECONDS;
export const OPUS_COMPLEXITY = 5;
// The rate the node's calls code toward their bot, and so the rate its Opus legs code at.
export const BOT_RATE_HZ = 16000;
// A process that has not answered by then is stuck: the step fails instead of hanging the bench.
const PROCESS_TIMEOUT_MS = 30_000;
const FRAMES_PER_SECOND = 50;

export const pinned = process.env.PARLEY_LOAD_PIN === '1' && cpus().length >= 2;

// How much of a core this bench can have right now: a child spins for a second and reports its
// CPU time over wall time and its longest stall. On a shared machine whose other tenants keep the
// cores busy (nice does not reach across their cgroups), a realtime node gets only this share and
// its capacity figures are bounded by it, whatever it costs: the result records it beside them.
export function cpuAvailability(): { cpu_share: number; max_stall_ms: number } {
  const script = `const t0=performance.now(),c0=process.cpuUsage();let gap=0,last=t0;while(performance.now()-t0<1000){const n=performance.now();if(n-last>gap)gap=n-last;last=n}const c=process.cpuUsage(c0);console.log(JSON.stringify({cpu_share:(c.user+c.system)/1000/(performance.now()-t0),max_stall_ms:gap}))`;
  const measured = z.object({ cpu_share: z.number(), max_stall_ms: z.number() }).parse(JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })));
  return { cpu_share: round2(measured.cpu_share), max_stall_ms: round2(measured.max_stall_ms) };
}

// What rtp_loadgen.c prints (its header says what each is).
const generatorOutput = z.object({
  sent: z.number(),
  received: z.number(),
  late: z.number(),
  dropped: z.number(),
  late_windows: z.number(),
  late_calls: z.number(),
  late_window_calls_max: z.number(),
  send_late_p99_us: z.number(),
  send_late_max_us: z.number(),
  cpu_us: z.number(),
  runqueue_wait_us: z.number(),
});
const botReady = z.object({ type: z.literal('ready'), port: z.number().int() });
const botCount = z.object({ type: z.literal('count'), frames: z.number().int() });

// Resolves with a child's next IPC message; rejects if it exits first or stays silent too long.
// Its listeners go with the answer: the node and the echo bot live across many steps.
function nextMessage(child: ChildProcess, what: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (message: unknown): void => {
      done();
      resolve(message);
    };
    const onExit = (code: number | null): void => {
      done();
      reject(new Error(`${what} exited early (code ${String(code)})`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${what}: no answer within ${PROCESS_TIMEOUT_MS} ms`));
    }, PROCESS_TIMEOUT_MS);
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

// Resolves when the child exits; rejects if that takes longer than the step could.
function exitOf(child: ChildProcess, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: still running after ${PROCESS_TIMEOUT_MS} ms`)), PROCESS_TIMEOUT_MS + STEP_SECONDS_MAX * 1000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function stopProcess(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) child.kill('SIGKILL');
}

const forkTs = (file: string, args: string[]): ChildProcess =>
  fork(join(here, file), args, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });

// The echo bot process of one protocol.
export class EchoBot {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(protocol: Exclude<LoadBot, 'null'>): Promise<EchoBot> {
    const child = forkTs('echo-bot.ts', [protocol]);
    try {
      const { port } = botReady.parse(await nextMessage(child, 'echo bot'));
      return new EchoBot(child, `ws://127.0.0.1:${port}/bot`);
    } catch (error) {
      stopProcess(child);
      throw error;
    }
  }

  async frames(): Promise<number> {
    const answer = nextMessage(this.child, 'echo bot');
    this.child.send({ type: 'count' });
    return botCount.parse(await answer).frames;
  }

  stop(): void {
    stopProcess(this.child);
  }
}

// The node under test: its media control plane and `workers` media worker processes.
export class LoadNode {
  private constructor(
    private child: ChildProcess,
    readonly workers: number,
    readonly bot: EchoBot | undefined,
    readonly protocol: Exclude<LoadBot, 'null'>,
    readonly realtimePriority: number,
  ) {}

  private overloaded = false;

  // `bot`: the echo bot its 'bot' calls connect to (none: media-only calls only);
  // `realtimePriority`: the workers' SCHED_RR priority (PARLEY_MEDIA_WORKER_REALTIME_PRIORITY; 0: none).
  static async start(workers: number, bot?: { echo: EchoBot; protocol: Exclude<LoadBot, 'null'> }, realtimePriority = 0): Promise<LoadNode> {
    const protocol = bot?.protocol ?? 'parley';
    return new LoadNode(await LoadNode.fork(workers, protocol, bot?.echo, realtimePriority), workers, bot?.echo, protocol, realtimePriority);
  }

  private static async fork(workers: number, protocol: Exclude<LoadBot, 'null'>, echo: EchoBot | undefined, realtimePriority: number): Promise<ChildProcess> {
    const child = forkTs('media-node.ts', [String(workers), protocol, echo?.url ?? '-', String(realtimePriority)]);
    try {
      await LoadNode.expect(child, 'ready');
      return child;
    } catch (error) {
      stopProcess(child);
      throw error;
    }
  }

  // After a step it did not carry, the next step gets the node started afresh (see LoadBench.step).
  markOverloaded(): void {
    this.overloaded = true;
  }

  // The node started afresh if it was overloaded (control plane and workers, same settings): the
  // old one ends with its calls (its control plane stops the pool when its channel closes) before
  // the new one starts.
  async freshIfOverloaded(): Promise<void> {
    if (!this.overloaded) return;
    this.overloaded = false;
    const old = this.child;
    if (old.exitCode === null && old.signalCode === null) {
      const exited = exitOf(old, 'load node');
      if (old.connected) old.disconnect();
      else old.kill('SIGKILL');
      try {
        await exited;
      } finally {
        stopProcess(old);
      }
    }
    this.child = await LoadNode.fork(this.workers, this.protocol, this.bot, this.realtimePriority);
  }

  private static async expect<T extends NodeReply['type']>(child: ChildProcess, type: T): Promise<Extract<NodeReply, { type: T }>> {
    const message = nodeReplySchema.parse(await nextMessage(child, 'load node'));
    if (message.type !== type) throw new Error(`load node answered ${message.type}, expected ${type}`);
    return message as Extract<NodeReply, { type: T }>;
  }

  async ask<T extends NodeReply['type']>(request: NodeRequest, answer: T): Promise<Extract<NodeReply, { type: T }>> {
    const reply = LoadNode.expect(this.child, answer);
    this.child.send(request);
    return reply;
  }

  stop(): void {
    stopProcess(this.child);
  }
}

export interface StepSpec {
  codec: LoadCodec;
  calls: number;
  // Each call's bot over a WebSocket to the node's echo bot (else the in-worker echo).
  bot?: boolean;
  // Unset: the node's default (on for PCMU).
  echoCancellation?: boolean;
  // A `nice -n 19` busy loop beside the node on every core but one.
  hog?: boolean;
}

export interface StepResult {
  calls: number;
  workers: number;
  bot: LoadBot;
  hog: boolean;
  echo_cancellation: 'default' | 'off';
  late_pct: number;
  sent: number;
  received: number;
  // The media workers' CPU per call-second served (user + system).
  cpu_us_per_call_second: number;
  // The control plane's (IPC replies, the workers' periodic reports) per call-second.
  control_cpu_us_per_call_second: number;
  // The busiest worker's CPU over wall time (1 = its core saturated).
  cpu_share: number;
  kernel_share_of_cpu: number;
  // Engine latency (frame due -> handed to the bot) p99 and median, from the workers' histogram
  // (µs): on a shared machine the p99 holds its neighbours' stalls, the median the node's own.
  engine_latency_p99_us: number;
  engine_latency_p50_us: number;
  // The load generator's CPU over wall time: on a small machine it shares the node's cores.
  generator_cpu_share: number;
  // Where the step's CPU went, in cores over the window: each worker's, the control plane's (the
  // node's main process), and everything else on the machine (other tenants, the bench itself,
  // the generator, the kernel's work not charged to a process).
  worker_cpu_shares: number[];
  worker_calls: number[];
  workers_realtime: boolean;
  control_cpu_share: number;
  machine_busy_cores: number;
  // Share of the window each worker's event loop (its media tick) was ready to run but waited for
  // a core: lateness the machine caused, whatever the node's own work.
  worker_wait_shares: number[];
  // The late packets: in how many 20 ms windows, of how many calls, the most calls in one window
  // (a stall: few windows, many calls each); the generator's own lateness sending (its packets'
  // lateness is not the node's: arrivals are the kernel's timestamps of the node's sends) and its
  // wait for a core, over the window.
  late_windows: number;
  late_calls: number;
  late_window_calls_max: number;
  generator_send_late_p99_us: number;
  generator_send_late_max_us: number;
  generator_wait_share: number;
  // The node's packets the generator's own socket dropped (not counted against the node).
  generator_dropped: number;
  // Share of the window's caller frames that reached the echo bot (end to end only).
  bot_frames_share?: number;
}

export function lateFraction(sent: number, received: number, late: number, calls: number, droppedByGenerator: number): number {
  // A packet the node never sent back counts as late; a frame or two per call may still be in
  // flight when the generator stops, and one the generator's own socket dropped was sent.
  const missing = Math.max(0, sent - received - droppedByGenerator - calls * 2);
  return (100 * (late + missing)) / Math.max(1, sent);
}

// The cores a step's workers could have: the machine's, less what everything else kept busy over
// the window (the generator, the control plane, the bench, other tenants), at most one per worker.
export function coresForWorkers(step: Pick<StepResult, 'workers' | 'worker_cpu_shares' | 'machine_busy_cores'>, cores: number): number {
  const workersBusy = step.worker_cpu_shares.reduce((sum, share) => sum + share, 0);
  return Math.min(step.workers, Math.max(0, cores - Math.max(0, step.machine_busy_cores - workersBusy)));
}

// The `quantile` of a cumulative histogram (bucket bound µs -> count at or below, bound -1 the open
// bucket), interpolated linearly inside its bucket; in the open bucket, its lower bound.
export function quantileFromBuckets(buckets: ReadonlyArray<readonly [number, number]>, quantile: number): number {
  const finite = buckets.filter(([bound]) => bound >= 0).sort((a, b) => a[0] - b[0]);
  const total = buckets.find(([bound]) => bound < 0)?.[1] ?? finite.at(-1)?.[1] ?? 0;
  if (total === 0) return 0;
  const target = quantile * total;
  let [lowerBound, lowerCount] = [0, 0];
  for (const [bound, count] of finite) {
    if (count >= target) return Math.round(lowerBound + ((bound - lowerBound) * (target - lowerCount)) / Math.max(1, count - lowerCount));
    [lowerBound, lowerCount] = [bound, count];
  }
  return Math.round(lowerBound);
}

export async function runStep(node: LoadNode, generator: string, framesFile: string, spec: StepSpec, botRateHz: number): Promise<StepResult> {
  const children: ChildProcess[] = [];
  try {
    if (spec.hog) {
      for (let core = 1; core < cpus().length; core++) {
        const loop = ['nice', '-n', '19', 'sh', '-c', 'while :; do :; done'];
        children.push(spawn(pinned ? 'taskset' : loop[0]!, pinned ? ['-c', String(core), ...loop] : loop.slice(1), { stdio: 'ignore' }));
      }
    }
    const bot = spec.bot ? node.bot : undefined;
    if (spec.bot && !bot) throw new Error('this load node has no echo bot');
    const { ports } = await node.ask(
      { type: 'calls', calls: spec.calls, codec: spec.codec, bot: spec.bot ?? false, echoCancellation: spec.echoCancellation, opusComplexity: OPUS_COMPLEXITY, botRateHz },
      'placed',
    );
    const portsFile = join(here, '..', '.build', 'load-ports.txt');
    writeFileSync(portsFile, `${ports.join('\n')}\n`);
    const warmup = bot ? BOT_WARMUP_SECONDS : WARMUP_SECONDS;
    const [payloadType, samples, clock] = spec.codec === 'opus' ? [111, 960, 48000] : [0, 160, 8000];
    const args = [portsFile, String(spec.calls), String(MEASURE_SECONDS + warmup), String(payloadType), String(samples), String(clock), framesFile, String(warmup)];
    const load = pinned ? spawn('taskset', ['-c', String(cpus().length - 1), generator, ...args]) : spawn(generator, args);
    children.push(load);
    let output = '';
    load.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const loadExited = exitOf(load, 'load generator');
    await new Promise((resolve) => setTimeout(resolve, warmup * 1000));
    await node.ask({ type: 'start' }, 'started');
    const botFramesBefore = await bot?.frames();
    await loadExited;
    const report = await node.ask({ type: 'stop' }, 'report');
    const botFrames = bot ? (await bot.frames()) - botFramesBefore! : undefined;
    const generated = generatorOutput.parse(JSON.parse(output));
    const cpuUs = report.workerCpuUs.reduce((sum, us) => sum + us, 0);
    const cpuSystemUs = report.workerSystemUs.reduce((sum, us) => sum + us, 0);
    // Call-seconds actually served: the node's packets that reached the generator in its counting
    // window (one per 20 ms frame), scaled to the node's own window. A starved node skips frames,
    // so calls × wall time would flatter its cost.
    const callSeconds = Math.max(1e-3, (generated.received / FRAMES_PER_SECOND) * (report.wallMs / 1000 / MEASURE_SECONDS));
    const windowS = report.wallMs / 1000;
    return {
      calls: spec.calls,
      workers: node.workers,
      bot: bot ? node.protocol : 'null',
      hog: spec.hog ?? false,
      echo_cancellation: spec.echoCancellation === false ? 'off' : 'default',
      late_pct: round3(lateFraction(generated.sent, generated.received, generated.late, spec.calls, generated.dropped)),
      sent: generated.sent,
      received: generated.received,
      cpu_us_per_call_second: Math.round(cpuUs / callSeconds),
      control_cpu_us_per_call_second: Math.round(report.controlCpuUs / callSeconds),
      cpu_share: round2(Math.max(...report.workerCpuUs) / (report.wallMs * 1000)),
      kernel_share_of_cpu: round2(cpuSystemUs / Math.max(1, cpuUs)),
      engine_latency_p99_us: quantileFromBuckets(report.latencyBucketsUs, 0.99),
      engine_latency_p50_us: quantileFromBuckets(report.latencyBucketsUs, 0.5),
      generator_cpu_share: round2(generated.cpu_us / 1e6 / (MEASURE_SECONDS + warmup)),
      worker_cpu_shares: report.workerCpuUs.map((us) => round2(us / (report.wallMs * 1000))),
      worker_calls: report.workerCalls,
      workers_realtime: report.workerRealtime,
      control_cpu_share: round2(report.controlCpuUs / (report.wallMs * 1000)),
      machine_busy_cores: round2(report.machineBusyCores),
      worker_wait_shares: report.workerWaitUs.map((us) => round3(us / (report.wallMs * 1000))),
      late_windows: generated.late_windows,
      late_calls: generated.late_calls,
      late_window_calls_max: generated.late_window_calls_max,
      generator_send_late_p99_us: generated.send_late_p99_us,
      generator_send_late_max_us: generated.send_late_max_us,
      generator_wait_share: round3(generated.runqueue_wait_us / (MEASURE_SECONDS * 1e6)),
      generator_dropped: generated.dropped,
      ...(botFrames === undefined ? {} : { bot_frames_share: round2(botFrames / Math.max(1, spec.calls * FRAMES_PER_SECOND * windowS)) }),
    };
  } finally {
    for (const child of children) stopProcess(child);
  }
}

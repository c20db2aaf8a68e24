// One measured step of the load bench: the C load generator (rtp_loadgen.c) sends N calls' RTP to
// one or more node processes (media-node.ts; several stand in for media workers), whose calls
// talk to an in-process echo or, end to end, to the echo bot process (echo-bot.ts) over real
// WebSockets; optionally beside a niced CPU hog. Every process is started for the step and
// stopped after it (killed by its own pid if it does not exit), so a step cannot outlive itself.
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { round2 } from '../side-by-side.js';
import { nodeReportSchema, type LoadBot, type LoadCodec, type NodeReport } from './media-node-protocol.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const MEASURE_SECONDS = 4;
const WARMUP_SECONDS = 2;
// Bot connections (a WebSocket handshake each) settle before the window opens.
const BOT_WARMUP_SECONDS = 3;
const FIRST_PORT = 30000;
export const OPUS_COMPLEXITY = 5;
// A process that has not answered by then is stuck: the step fails instead of hanging the bench.
const PROCESS_TIMEOUT_MS = 30_000;

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

const generatorOutput = z.object({ sent: z.number(), received: z.number(), late: z.number(), late_pct: z.number() });
const botReady = z.object({ type: z.literal('ready'), port: z.number().int() });

export interface StepSpec {
  codec: LoadCodec;
  calls: number;
  bot?: LoadBot;
  botRateHz?: number;
  // Node processes sharing the calls (stand-ins for media workers); 1 unless given.
  nodes?: number;
  // A `nice -n 19` busy loop beside the node on every other core.
  hog?: boolean;
}

export interface StepResult {
  calls: number;
  bot: LoadBot;
  nodes: number;
  hog: boolean;
  late_pct: number;
  sent: number;
  received: number;
  cpu_us_per_call_second: number;
  // Node CPU over wall time, per node process (1 = one core saturated).
  cpu_share: number;
  kernel_share_of_cpu: number;
  tick_latency_p99_us: number;
  tick_work_p99_us: number;
  // Share of the window's caller frames that reached the bot and came back (end to end only).
  bot_round_trip_share?: number;
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${PROCESS_TIMEOUT_MS} ms`)), PROCESS_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Resolves with a child's next IPC message; rejects if it exits first.
function nextMessage(child: ChildProcess, what: string): Promise<unknown> {
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`${what} exited early (code ${String(code)})`);
  });
  return withTimeout(Promise.race([once(child, 'message').then(([message]) => message as unknown), exited]), what);
}

function stopProcess(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) child.kill('SIGKILL');
}

function lateFraction(sent: number, received: number, late: number, calls: number): number {
  // A packet the node never sent back counts as late; a frame or two per call may still be in
  // flight when the generator stops.
  const missing = Math.max(0, sent - received - calls * 2);
  return (100 * (late + missing)) / Math.max(1, sent);
}

export async function runStep(generator: string, framesFile: string, spec: StepSpec): Promise<StepResult> {
  const bot = spec.bot ?? 'null';
  const nodeCount = spec.nodes ?? 1;
  const children: ChildProcess[] = [];
  try {
    let botUrl = '-';
    if (bot !== 'null') {
      const echo = fork(join(here, 'echo-bot.ts'), [bot], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.push(echo);
      botUrl = `ws://127.0.0.1:${botReady.parse(await nextMessage(echo, 'echo bot')).port}/bot`;
    }
    if (spec.hog) {
      for (let core = 1; core < cpus().length; core++) {
        const hog = spawn(pinned ? 'taskset' : 'nice', pinned ? ['-c', String(core), 'nice', '-n', '19', 'sh', '-c', 'while :; do :; done'] : ['-n', '19', 'sh', '-c', 'while :; do :; done'], { stdio: 'ignore' });
        children.push(hog);
      }
    }
    const share = (node: number): number => Math.floor(spec.calls / nodeCount) + (node < spec.calls % nodeCount ? 1 : 0);
    const nodes: ChildProcess[] = [];
    let port = FIRST_PORT;
    for (let n = 0; n < nodeCount; n++) {
      const args = [spec.codec, String(share(n)), String(port), String(OPUS_COMPLEXITY), String(spec.botRateHz ?? 16000), bot, botUrl];
      port += share(n);
      const node = fork(join(here, 'media-node.ts'), args, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.push(node);
      nodes.push(node);
    }
    for (const [n, node] of nodes.entries()) {
      const ready = (await nextMessage(node, `media node ${n}`)) as { type?: string };
      if (ready.type !== 'ready') throw new Error('media node did not start');
      if (pinned) execFileSync('taskset', ['-pc', String(n % cpus().length), String(node.pid)], { stdio: 'ignore' });
    }
    const warmup = bot === 'null' ? WARMUP_SECONDS : BOT_WARMUP_SECONDS;
    const [payloadType, samples, clock] = spec.codec === 'opus' ? [111, 960, 48000] : [0, 160, 8000];
    const args = [String(FIRST_PORT), String(spec.calls), String(MEASURE_SECONDS + warmup), String(payloadType), String(samples), String(clock), framesFile, String(warmup)];
    const load = pinned ? spawn('taskset', ['-c', String(cpus().length - 1), generator, ...args]) : spawn(generator, args);
    children.push(load);
    let output = '';
    load.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const loadExited = once(load, 'exit');
    await new Promise((resolve) => setTimeout(resolve, warmup * 1000));
    for (const node of nodes) node.send({ type: 'start' });
    await withTimeout(loadExited, 'load generator');
    const reports: NodeReport[] = [];
    for (const [n, node] of nodes.entries()) {
      const reply = nextMessage(node, `media node ${n}`);
      node.send({ type: 'stop' });
      reports.push(nodeReportSchema.parse(await reply));
    }
    const generated = generatorOutput.parse(JSON.parse(output));
    const cpuUs = reports.reduce((sum, report) => sum + report.cpuUs, 0);
    const cpuSystemUs = reports.reduce((sum, report) => sum + report.cpuSystemUs, 0);
    const wallMs = reports.reduce((sum, report) => sum + report.wallMs, 0) / reports.length;
    // Call-seconds actually served: the node's packets that reached the generator in its counting
    // window (one per 20 ms frame), scaled to the node's own window. A starved node skips frames,
    // so calls × wall time would flatter its cost.
    const callSeconds = (generated.received / 50) * (wallMs / 1000 / MEASURE_SECONDS);
    const framesToBot = reports.reduce((sum, report) => sum + report.framesToBot, 0);
    const framesFromBot = reports.reduce((sum, report) => sum + report.framesFromBot, 0);
    return {
      calls: spec.calls,
      bot,
      nodes: nodeCount,
      hog: spec.hog ?? false,
      late_pct: lateFraction(generated.sent, generated.received, generated.late, spec.calls),
      sent: generated.sent,
      received: generated.received,
      cpu_us_per_call_second: Math.round(cpuUs / Math.max(1e-3, callSeconds)),
      cpu_share: round2(cpuUs / (wallMs * 1000) / nodeCount),
      kernel_share_of_cpu: round2(cpuSystemUs / Math.max(1, cpuUs)),
      tick_latency_p99_us: Math.max(...reports.map((report) => report.tickLatencyP99Us)),
      tick_work_p99_us: Math.max(...reports.map((report) => report.tickWorkP99Us)),
      ...(bot === 'null' ? {} : { bot_round_trip_share: round2(Math.min(framesToBot, framesFromBot) / Math.max(1, (spec.calls * 50 * wallMs) / 1000)) }),
    };
  } finally {
    for (const child of children) stopProcess(child);
  }
}

// The media workers, mediasoup-style: N processes (one per core by default), each with its own
// native engine, its slice of the RTP port range, and its calls' bot connections. A new RTP leg
// goes to the live worker carrying the fewest legs. A worker that dies (SIGSEGV, abort, SIGKILL)
// ends only its own calls, with reason `media_worker_failed`, is logged once and counted, and is
// started again.
import type { Logger } from 'pino';
import type { BotConfig } from '../bot/bot-config.js';
import type { MediaHost } from '../call/media-host.js';
import { RTP_LEG } from '../call/leg-kind.js';
import { NoMediaWorkerError } from './errors.js';
import { MediaWorker } from './media-worker.js';
import { WorkerLeg } from './worker-leg.js';
import { workerMetrics } from './worker-metrics.js';

// A worker that dies again within this long of its start is restarted after a pause (a crash
// loop must not spin a core).
const CRASH_LOOP_WINDOW_MS = 10_000;
const CRASH_LOOP_PAUSE_MS = 1_000;
const REPORT_INTERVAL_MS = 1_000;

export interface WorkerPoolOptions {
  count: number;
  // The worker's entry module, and the settings of its leg kinds beyond RTP (media-worker.ts).
  entry: string;
  legKinds: Record<string, unknown>;
  bot: BotConfig;
  logLevel: string;
  // SCHED_RR priority of each worker's event loop (0 or absent: the normal class).
  realtimePriority?: number;
  // The operator's RTP port range, split into one contiguous slice per worker.
  portRange?: { min: number; max: number };
  logger: Logger;
}

export class WorkerPool implements MediaHost {
  private readonly workers: Array<MediaWorker | undefined>;
  private readonly startedAtMs: number[];
  private stopped = false;
  private readonly logger: Logger;

  constructor(private readonly options: WorkerPoolOptions) {
    if (options.portRange && options.portRange.max - options.portRange.min + 1 < options.count) {
      throw new RangeError(`the RTP port range ${options.portRange.min}-${options.portRange.max} has fewer ports than media workers (${options.count})`);
    }
    this.workers = new Array<MediaWorker | undefined>(options.count).fill(undefined);
    this.startedAtMs = new Array<number>(options.count).fill(0);
    this.logger = options.logger.child({ component: 'media-workers' });
  }

  get size(): number {
    return this.workers.length;
  }

  // Starts every worker and waits until each is ready.
  async start(): Promise<void> {
    await Promise.all(this.workers.map((_, index) => this.spawn(index)));
  }

  // Live workers (a dead one is restarting).
  get liveWorkers(): number {
    return this.workers.filter((worker) => worker?.isAlive).length;
  }

  pidOf(index: number): number | undefined {
    return this.workers[index]?.pid;
  }

  // The legs worker `index` carries now (0 while it is down).
  callsOf(index: number): number {
    return this.workers[index]?.legs.size ?? 0;
  }

  // A leg of `kind` on the least-loaded live worker; `result` is what the kind answers (the RTP
  // leg's local port, the WebRTC leg's SDP answer).
  async createLeg(callId: string, kind: string, params: object): Promise<{ leg: WorkerLeg; result: Record<string, unknown> }> {
    const worker = this.leastLoaded();
    if (!worker) throw new NoMediaWorkerError();
    const slice = kind === RTP_LEG ? this.portSlice(worker.index) : {};
    worker.placing++;
    let result: Record<string, unknown>;
    try {
      result = (await worker.request({ type: 'createLeg', callId, kind, params: { ...params, ...slice } })) as Record<string, unknown>;
    } finally {
      worker.placing--;
    }
    const localPort = typeof result.localPort === 'number' ? result.localPort : undefined;
    const leg = new WorkerLeg(callId, localPort, worker);
    if (!worker.isAlive) {
      // Died between its answer and now: the leg is born failed.
      queueMicrotask(() => leg.workerFailed());
      return { leg, result };
    }
    worker.legs.set(callId, leg);
    workerMetrics.calls.set({ worker: String(worker.index) }, worker.legs.size);
    return { leg, result };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.workers.map((worker) => worker?.stop()));
  }

  private leastLoaded(): MediaWorker | undefined {
    let best: MediaWorker | undefined;
    for (const worker of this.workers) {
      if (!worker?.isAlive) continue;
      if (!best || worker.load < best.load) best = worker;
    }
    return best;
  }

  // Worker i of N gets the i-th of N contiguous slices of the range: no two workers ever bind
  // the same port, and a capture or firewall rule tells the workers apart.
  private portSlice(index: number): { localPortMin?: number; localPortMax?: number } {
    const range = this.options.portRange;
    if (!range) return {};
    const per = Math.floor((range.max - range.min + 1) / this.workers.length);
    const min = range.min + index * per;
    return { localPortMin: min, localPortMax: index === this.workers.length - 1 ? range.max : min + per - 1 };
  }

  private async spawn(index: number): Promise<void> {
    const worker = new MediaWorker({ entry: this.options.entry, index, legKinds: this.options.legKinds, bot: this.options.bot, logLevel: this.options.logLevel, realtimePriority: this.options.realtimePriority ?? 0, reportIntervalMs: REPORT_INTERVAL_MS, logger: this.logger });
    this.workers[index] = worker;
    this.startedAtMs[index] = performance.now();
    worker.on('report', (report) => workerMetrics.observe(index, report));
    // Its calls end as soon as its channel is lost; the death is logged once its status is known.
    let lostLegs: WorkerLeg[] = [];
    worker.once('lost', () => {
      lostLegs = [...worker.legs.values()];
      for (const leg of lostLegs) leg.workerFailed();
    });
    worker.once('exited', (code, signal) => this.onExited(worker, lostLegs, code, signal));
    await worker.ready;
    this.logger.info({ worker: index, pid: worker.pid }, 'media worker started');
  }

  private onExited(worker: MediaWorker, legs: WorkerLeg[], code: number | null, signal: NodeJS.Signals | null): void {
    const { index } = worker;
    workerMetrics.forget(index);
    if (worker.isStopping || this.stopped) return;
    workerMetrics.failures.inc({ worker: String(index) });
    this.logger.error({ worker: index, pid: worker.pid, code, signal, endingCalls: legs.length, callIds: legs.slice(0, 20).map((leg) => leg.callId) }, 'media worker died: ending its calls (media_worker_failed) and starting it again');
    const crashLoop = performance.now() - this.startedAtMs[index]! < CRASH_LOOP_WINDOW_MS;
    const restart = (): void => {
      if (this.stopped) return;
      workerMetrics.restarts.inc({ worker: String(index) });
      this.spawn(index).catch((error: unknown) => {
        this.logger.error({ worker: index, err: error }, 'media worker failed to start again');
      });
    };
    if (crashLoop) setTimeout(restart, CRASH_LOOP_PAUSE_MS).unref();
    else restart();
  }
}

// One media worker as the control plane holds it: the forked process, the typed channel to it
// (requests with ids and their replies, events by call), and the legs it carries. When the
// process dies, every pending request fails and `exited` tells the pool, which ends the legs.
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { BotConfig } from '../bot/bot-config.js';
import type { NativeSessionStats } from '../media/media-engine-binding.js';
import { countRefused } from '../metrics.js';
import { MediaWorkerGoneError, MediaWorkerRequestError } from './errors.js';
import { HandedSockets } from './socket-handover.js';
import { fromWorkerSchema, type FromWorker, type ToWorker, type WorkerRequest } from './worker-messages.js';
import type { WorkerLeg } from './worker-leg.js';

// A worker that is not ready in this long is killed and counted as failed to start.
const READY_TIMEOUT_MS = 30_000;

// V8's young generation in a worker: each of its two semi-spaces at most this many MB (V8's
// default maximum on 64-bit is 16). A scavenge stops the event loop, so every call of the worker
// waits for it, and V8 grows the semi-spaces under load and keeps them grown: grown, a worker's
// scavenges took up to 18 ms end to end and up to 26 ms after an overload (--trace-gc), most of a
// frame; at 1 MB they take about 1 ms, more often, for the same CPU per call-second within the
// machine's noise (docs/workers.md, "The young generation").
export const WORKER_SEMI_SPACE_MB = 1;

// How a worker process is started: tsx as the loader, as `npm start` runs the node (the worker
// entry is TypeScript), and the young generation above.
export const MEDIA_WORKER_EXEC_ARGV: readonly string[] = ['--import', 'tsx', `--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`];

export interface MediaWorkerOptions {
  // The worker's entry module (api/media-worker-main.ts: runMediaWorker with its leg kinds).
  entry: string;
  index: number;
  bot: BotConfig;
  // Settings of each leg kind beyond RTP, by kind (the WebRTC edge's ICE servers).
  legKinds: Record<string, unknown>;
  logLevel: string;
  realtimePriority: number;
  reportIntervalMs: number;
  logger: Logger;
}

export interface MediaWorkerEvents {
  report: [report: Extract<FromWorker, { type: 'report' }>];
  // The channel closed without being asked to (the process died): its calls' media is gone now.
  lost: [];
  exited: [code: number | null, signal: NodeJS.Signals | null];
}

interface Pending {
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
}

export class MediaWorker extends EventEmitter<MediaWorkerEvents> {
  readonly legs = new Map<string, WorkerLeg>();
  // Legs asked of it and not answered yet: they count toward its load (a burst of calls must
  // spread, not all land on the worker that was idle when the burst began).
  placing = 0;
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private readonly handed = new HandedSockets();
  private nextId = 1;
  private alive = true;
  private stopping = false;
  readonly ready: Promise<void>;

  constructor(readonly options: MediaWorkerOptions) {
    super();
    this.child = fork(options.entry, [], {
      execArgv: [...MEDIA_WORKER_EXEC_ARGV],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, PARLEY_MEDIA_WORKER_INDEX: String(options.index) },
    });
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new MediaWorkerGoneError(`media worker ${options.index} was not ready within ${READY_TIMEOUT_MS} ms`));
        this.child.kill('SIGKILL');
      }, READY_TIMEOUT_MS);
      this.child.once('exit', () => {
        clearTimeout(timer);
        reject(new MediaWorkerGoneError(`media worker ${options.index} exited before it was ready`));
      });
      this.readyResolve = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.ready.catch(() => undefined);
    this.child.on('message', (raw: unknown) => this.onMessage(raw));
    // A dead worker's channel closes when its sockets do, before its exit status is collected:
    // its calls end from here, before Asterisk (which saw its sockets close) reports the loss of
    // their media channels in its own words.
    this.child.once('disconnect', () => this.onLost());
    this.child.once('exit', (code, signal) => this.onExit(code, signal));
    // A send to a process that just died fails asynchronously: the exit handler deals with it.
    this.child.on('error', (error) => options.logger.warn({ err: error, worker: options.index }, 'media worker channel error'));
    this.post({ type: 'init', index: options.index, bot: options.bot, legKinds: options.legKinds, logLevel: options.logLevel, realtimePriority: options.realtimePriority, reportIntervalMs: options.reportIntervalMs });
  }

  private readyResolve: () => void = () => undefined;

  get index(): number {
    return this.options.index;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get load(): number {
    return this.legs.size + this.placing;
  }

  get isAlive(): boolean {
    return this.alive;
  }

  // Whether the process is going because the control plane asked (not a failure).
  get isStopping(): boolean {
    return this.stopping;
  }

  // `socket` goes with the message (Node passes the descriptor; socket-handover.ts keeps every
  // byte and this process's husk of it until the worker's copy closes).
  post(message: ToWorker, socket?: Socket): void {
    if (!this.alive || !this.child.connected) {
      socket?.destroy();
      return;
    }
    if (socket) this.handed.send(this.child, message, socket);
    else this.child.send(message);
  }

  request(message: WorkerRequest, socket?: Socket): Promise<unknown> {
    if (!this.alive) {
      socket?.destroy();
      return Promise.reject(new MediaWorkerGoneError(`media worker ${this.index} is gone`));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.post({ ...message, id } as ToWorker, socket);
    });
  }

  // Drain over: the worker closes its legs, sends a last report and exits; killed if it lingers.
  async stop(timeoutMs = 5000): Promise<void> {
    if (!this.alive) return;
    this.stopping = true;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.post({ type: 'shutdown' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }

  private onMessage(raw: unknown): void {
    const parsed = fromWorkerSchema.safeParse(raw);
    if (!parsed.success) {
      countRefused('media', 'worker_message_invalid');
      this.options.logger.error({ worker: this.index, issues: parsed.error.issues.slice(0, 3) }, 'invalid message from a media worker');
      return;
    }
    const message = parsed.data;
    switch (message.type) {
      case 'ready':
        this.readyResolve();
        return;
      case 'reply': {
        const pending = this.pending.get(message.id);
        if (!pending) return;
        this.pending.delete(message.id);
        if (message.ok) pending.resolve(message.result);
        else pending.reject(new MediaWorkerRequestError(message.error ?? 'the media worker refused'));
        return;
      }
      case 'ended':
        this.legs.get(message.callId)?.endedInWorker(message.reason);
        return;
      case 'socketClosed':
        this.handed.closedThere(message.socketId);
        return;
      case 'dtmfOut':
        this.legs.get(message.callId)?.dtmfFromBot(message.digits);
        return;
      case 'report':
        for (const [callId, stats] of Object.entries(message.legStats)) this.legs.get(callId)?.reported(stats as unknown as NativeSessionStats);
        this.emit('report', message);
        return;
    }
  }

  private onLost(): void {
    if (!this.alive) return;
    this.alive = false;
    this.handed.closeAll();
    for (const pending of this.pending.values()) pending.reject(new MediaWorkerGoneError(`media worker ${this.index} is gone`));
    this.pending.clear();
    if (!this.stopping) this.emit('lost');
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.onLost();
    this.emit('exited', code, signal);
  }
}

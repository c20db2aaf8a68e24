// A media worker process (forked by media-worker.ts, entered through api/media-worker-main.ts,
// which gives it its leg kinds): its own native MediaEngine, the sockets of its calls' legs (RTP
// on UDP, and what each further kind brings: werift's ICE sockets, chan_websocket and AudioSocket
// connections, dialled here or handed over by the control plane), and those calls' bot
// connections. Media and bot audio stay in here; the control plane only asks (create, attach the
// bot, re-point, close) and hears back (ended, DTMF, a periodic report of load and metrics).
// Signals are the control plane's business: a worker exits when told to or when its channel to
// the control plane goes.
import { Socket } from 'node:net';
import type { Logger } from 'pino';
import { botConfigSchema } from '../bot/bot-config.js';
import { flushBotFrames } from '../bot/bot-frame-batch.js';
import { botStarterOf } from '../bot/bot-starter.js';
import type { BotSession, BotStarter } from '../call/call.js';
import { changeSessionCodec } from '../call/media-leg.js';
import { countRefused, registry } from '../metrics.js';
import { logger as rootLogger } from '../logger.js';
import { MediaEngine } from '../media/media-engine.js';
import type { MediaSession } from '../media/media-session.js';
import type { RtpSessionOptions } from '../media/media-session-options.js';
import { enterRealtimePriority } from '../native/realtime-priority.js';
import { RTP_LEG, rtpLeg, type CreatedLeg, type LegFactory, type LegKinds } from '../call/leg-kind.js';
import { LegStatsRotation } from './leg-stats-rotation.js';
import { metricsAsJsonInSlices } from './metrics-in-slices.js';
import { receiveSocket } from './socket-handover.js';
import { toWorkerSchema, type FromWorker, type ToWorker } from './worker-messages.js';

// The end reason of a call whose leg refused a control request (see controlOrEnd).
const MEDIA_CONTROL_FAILED = 'media_control_failed';
// Each leg's live media stats ride in every this-many reports (leg-stats-rotation.ts).
const LEG_STATS_EVERY_REPORTS = 5;

interface WorkerLegState {
  session: MediaSession;
  bot?: BotSession;
  // What else the leg holds (a werift peer connection, a chan_websocket link), let go after the
  // session closes.
  release?: CreatedLeg['release'];
  connect?: CreatedLeg['connect'];
}

// Typed here, checked again by the control plane (media-worker.ts) on arrival.
function send(message: FromWorker): void {
  process.send?.(message);
}

class MediaWorkerProcess {
  private readonly legs = new Map<string, WorkerLegState>();
  private readonly engine: MediaEngine;
  private report: NodeJS.Timeout | undefined;
  private readonly statsRotation = new LegStatsRotation(LEG_STATS_EVERY_REPORTS);

  constructor(
    private readonly startBot: BotStarter,
    private readonly factories: Map<string, LegFactory>,
    private readonly logger: Logger,
    reportIntervalMs: number,
    // Its event loop in SCHED_RR (PARLEY_MEDIA_WORKER_REALTIME_PRIORITY asked for, and granted).
    private readonly realtime: boolean,
  ) {
    this.engine = new MediaEngine({ logger, afterTick: flushBotFrames });
    this.report = setInterval(() => void this.sendReport(), reportIntervalMs);
  }

  handle(message: ToWorker, socket: Socket | undefined): void {
    switch (message.type) {
      case 'init':
        return;
      case 'connectTransport':
        void this.replyAsync(message.id, () => this.connectTransport(message.callId, message.params, socket));
        return;
      case 'createLeg':
        void this.replyAsync(message.id, () => this.createLeg(message.callId, message.kind, message.params));
        return;
      case 'close':
        void this.replyAsync(message.id, () => this.close(message.callId, message.reason));
        return;
      case 'changeCodec': {
        const leg = this.leg(message.callId);
        this.reply(message.id, () => leg !== undefined && changeSessionCodec(leg.session, message.codec, message.payloadType, message.newLeg as RtpSessionOptions | undefined));
        return;
      }
      case 'ping':
        this.reply(message.id, () => true);
        return;
      case 'shutdown':
        this.shutdown();
        return;
      default:
        this.controlOrEnd(message);
    }
  }

  // A knob the leg refuses (an address the engine cannot parse, from ARI or SDP) ends that call,
  // as it fails that call's setup inline; it never takes the worker and its other calls down.
  private controlOrEnd(message: Parameters<MediaWorkerProcess['control']>[0]): void {
    try {
      this.control(message);
    } catch (error) {
      countRefused('media', 'worker_control_failed');
      this.logger.warn({ callId: message.callId, type: message.type, err: error }, 'media control request failed: ending the call');
      send({ type: 'ended', callId: message.callId, reason: MEDIA_CONTROL_FAILED });
    }
  }

  private control(message: Exclude<ToWorker, { type: 'init' | 'createLeg' | 'connectTransport' | 'close' | 'changeCodec' | 'ping' | 'shutdown' }>): void {
    const leg = this.leg(message.callId);
    if (!leg) return;
    const { session } = leg;
    switch (message.type) {
      case 'attachBot':
        try {
          leg.bot = this.startBot(session, message.info);
        } catch (error) {
          this.logger.error({ callId: message.callId, err: error }, 'bot failed to start');
          send({ type: 'ended', callId: message.callId, reason: 'bot_start_failed' });
        }
        return;
      case 'stopBot':
        try {
          leg.bot?.stop(message.reason);
        } catch (error) {
          this.logger.error({ callId: message.callId, err: error }, 'bot threw while stopping');
        }
        leg.bot = undefined;
        return;
      case 'setPaused':
        session.setPaused(message.paused);
        return;
      case 'setRemote':
        if (message.redirect) session.redirect(message.host, message.port);
        else session.setRemote(message.host, message.port);
        return;
      case 'rekeyRemote':
        session.rekeyRemote(message.profile, message.remoteKey);
        return;
      case 'setSrtp':
        session.setSrtp(message.srtp);
        return;
      case 'receiveDtmf':
        session.emit('dtmf', message.digit, message.durationMs);
        return;
      case 'dtmfThrough':
        session.sendDtmfThrough((digits) => send({ type: 'dtmfOut', callId: message.callId, digits }));
        return;
    }
  }

  private leg(callId: string): WorkerLegState | undefined {
    return this.legs.get(callId);
  }

  private async createLeg(callId: string, kind: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
    const factory = this.factories.get(kind);
    if (!factory) throw new Error(`this worker makes no ${kind} legs`);
    if (this.legs.has(callId)) throw new Error(`a leg for ${callId} exists`);
    const created = await factory(callId, params, { engine: this.engine, logger: this.logger.child({ callId }) });
    const { session } = created;
    this.legs.set(callId, { session, release: created.release, connect: created.connect });
    // Ended here (the bot hung up, the transport failed): the control plane ends the call, then
    // closes the leg.
    const endedHere = (reason: string): void => {
      if (this.legs.get(callId)?.session === session) send({ type: 'ended', callId, reason });
    };
    session.once('ended', endedHere);
    void created.transportEnded?.then(endedHere);
    return created.result;
  }

  // A socket the control plane accepted for this leg (`socket`), or an address to dial.
  private async connectTransport(callId: string, params: Record<string, unknown>, socket: Socket | undefined): Promise<void> {
    const leg = this.legs.get(callId);
    if (!leg?.connect) {
      socket?.destroy();
      throw new Error(leg ? `the leg of ${callId} has no transport to connect` : `no leg for ${callId}`);
    }
    await leg.connect(params, socket);
  }

  private async close(callId: string, reason: string): Promise<unknown> {
    const leg = this.legs.get(callId);
    if (!leg) return undefined;
    this.legs.delete(callId);
    try {
      leg.bot?.stop(reason);
    } catch (error) {
      this.logger.error({ callId, err: error }, 'bot threw while stopping');
    }
    leg.session.close(reason);
    await leg.release?.(reason).catch((error: unknown) => this.logger.warn({ callId, err: error }, 'leg release failed'));
    return leg.session.stats();
  }

  private reply(id: number, run: () => unknown): void {
    void this.replyAsync(id, () => Promise.resolve(run()));
  }

  private async replyAsync(id: number, run: () => Promise<unknown>): Promise<void> {
    try {
      send({ type: 'reply', id, ok: true, result: await run() });
    } catch (error) {
      send({ type: 'reply', id, ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    }
  }

  private async sendReport(): Promise<void> {
    const cpu = process.cpuUsage();
    const legStats = await this.statsRotation.collect(this.legs, (leg): Record<string, unknown> => ({ ...leg.session.stats() }));
    send({ type: 'report', calls: this.legs.size, realtime: this.realtime, cpuUserUs: cpu.user, cpuSystemUs: cpu.system, residentBytes: process.memoryUsage.rss(), metrics: await metricsAsJsonInSlices(registry), legStats });
  }

  shutdown(): void {
    clearInterval(this.report);
    this.report = undefined;
    void Promise.all([...this.legs.keys()].map((callId) => this.close(callId, 'shutdown'))).then(() => {
      this.engine.stop();
      // The last report carries the final counts before the process goes.
      return this.sendReport().finally(() => process.disconnect?.());
    });
  }
}


// Runs this process as a media worker with the leg kinds its entry gives it.
export function runMediaWorker(kinds: LegKinds): void {
  // SIGINT from a terminal reaches the whole process group, SIGTERM may too: the control plane
  // drains and then tells its workers to go; a worker never leaves its calls on its own.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => undefined);
  let worker: MediaWorkerProcess | undefined;
  process.on('message', (raw: unknown, handle: unknown) => {
    const socket = handle instanceof Socket ? receiveSocket(raw, handle, (socketId) => send({ type: 'socketClosed', socketId })) : undefined;
    const parsed = toWorkerSchema.safeParse(raw);
    if (!parsed.success) {
      socket?.destroy();
      countRefused('media', 'worker_message_invalid');
      rootLogger.error({ issues: parsed.error.issues.slice(0, 3) }, 'media worker: invalid message from the control plane');
      return;
    }
    const message = parsed.data;
    if (message.type !== 'init') {
      worker?.handle(message, socket);
      return;
    }
    rootLogger.level = message.logLevel;
    const logger = rootLogger.child({ worker: message.index });
    const factories = new Map<string, LegFactory>([[RTP_LEG, rtpLeg]]);
    // A kind the control plane gave no settings for is not offered.
    for (const [kind, make] of Object.entries(kinds)) if (message.legKinds[kind] !== undefined) factories.set(kind, make(message.legKinds[kind]));
    worker ??= new MediaWorkerProcess(
      botStarterOf(botConfigSchema.parse(message.bot), logger),
      factories,
      logger,
      message.reportIntervalMs,
      message.realtimePriority > 0 && enterRealtimePriority(message.realtimePriority, logger),
    );
    send({ type: 'ready', pid: process.pid });
  });
  // The control plane is gone: nobody can end these calls properly any more.
  process.on('disconnect', () => process.exit(0));
}

// A media worker process (forked by media-worker.ts): its own native MediaEngine, the UDP sockets
// of its calls' RTP legs, and those calls' bot connections. Media and bot audio stay in here; the
// control plane only asks (create, attach the bot, re-point, close) and hears back (ended, DTMF,
// a periodic report of load and metrics). Signals are the control plane's business: a worker
// exits when told to or when its channel to the control plane goes.
import type { Logger } from 'pino';
import { botConfigSchema } from '../bot/bot-config.js';
import { botStarterOf } from '../bot/bot-starter.js';
import type { BotSession, BotStarter } from '../call/call.js';
import { countRefused, registry } from '../metrics.js';
import { logger as rootLogger } from '../logger.js';
import { MediaEngine } from '../media/media-engine.js';
import type { MediaSession } from '../media/media-session.js';
import type { RtpSessionOptions } from '../media/media-session-options.js';
import { fromWorkerSchema, toWorkerSchema, type FromWorker, type ToWorker } from './worker-messages.js';

interface WorkerLegState {
  session: MediaSession;
  bot?: BotSession;
}

function send(message: FromWorker): void {
  // A message that would not pass the control plane's check is a bug here, caught in tests.
  if (process.env.VITEST) fromWorkerSchema.parse(message);
  process.send?.(message);
}

class MediaWorkerProcess {
  private readonly legs = new Map<string, WorkerLegState>();
  private readonly engine: MediaEngine;
  private report: NodeJS.Timeout | undefined;

  constructor(
    private readonly startBot: BotStarter,
    private readonly logger: Logger,
    reportIntervalMs: number,
  ) {
    this.engine = new MediaEngine({ logger });
    this.report = setInterval(() => void this.sendReport(), reportIntervalMs);
  }

  handle(message: ToWorker): void {
    switch (message.type) {
      case 'init':
        return;
      case 'createRtpLeg':
        this.reply(message.id, () => this.createRtpLeg(message.callId, message.options as RtpSessionOptions));
        return;
      case 'close':
        this.reply(message.id, () => this.close(message.callId, message.reason));
        return;
      case 'switchCodec':
        this.reply(message.id, () => this.leg(message.callId)?.session.switchCodec(message.codec, message.payloadType) ?? false);
        return;
      case 'shutdown':
        this.shutdown();
        return;
      default:
        this.control(message);
    }
  }

  private control(message: Exclude<ToWorker, { type: 'init' | 'createRtpLeg' | 'close' | 'switchCodec' | 'shutdown' }>): void {
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

  private createRtpLeg(callId: string, options: RtpSessionOptions): { localPort: number | undefined } {
    if (this.legs.has(callId)) throw new Error(`a leg for ${callId} exists`);
    const { session, localPort } = this.engine.createRtpSession(callId, options);
    this.legs.set(callId, { session });
    // Ended here (the bot hung up): the control plane ends the call, then closes the leg.
    session.once('ended', (reason) => {
      if (this.legs.has(callId)) send({ type: 'ended', callId, reason });
    });
    return { localPort };
  }

  private close(callId: string, reason: string): unknown {
    const leg = this.legs.get(callId);
    if (!leg) return undefined;
    this.legs.delete(callId);
    try {
      leg.bot?.stop(reason);
    } catch (error) {
      this.logger.error({ callId, err: error }, 'bot threw while stopping');
    }
    leg.session.close(reason);
    return leg.session.stats();
  }

  private reply(id: number, run: () => unknown): void {
    try {
      send({ type: 'reply', id, ok: true, result: run() });
    } catch (error) {
      send({ type: 'reply', id, ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    }
  }

  private async sendReport(): Promise<void> {
    const cpu = process.cpuUsage();
    send({ type: 'report', calls: this.legs.size, cpuUserUs: cpu.user, cpuSystemUs: cpu.system, metrics: await registry.getMetricsAsJSON() });
  }

  shutdown(): void {
    clearInterval(this.report);
    this.report = undefined;
    for (const callId of [...this.legs.keys()]) this.close(callId, 'shutdown');
    this.engine.stop();
    // The last report carries the final counts before the process goes.
    void this.sendReport().finally(() => process.disconnect?.());
  }
}

// SIGINT from a terminal reaches the whole process group, SIGTERM may too: the control plane
// drains and then tells its workers to go; a worker never leaves its calls on its own.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);

let worker: MediaWorkerProcess | undefined;
process.on('message', (raw: unknown) => {
  const parsed = toWorkerSchema.safeParse(raw);
  if (!parsed.success) {
    countRefused('media', 'worker_message_invalid');
    rootLogger.error({ issues: parsed.error.issues.slice(0, 3) }, 'media worker: invalid message from the control plane');
    return;
  }
  const message = parsed.data;
  if (message.type === 'init') {
    rootLogger.level = message.logLevel;
    const logger = rootLogger.child({ worker: message.index });
    worker ??= new MediaWorkerProcess(botStarterOf(botConfigSchema.parse(message.bot), logger), logger, message.reportIntervalMs);
    send({ type: 'ready', pid: process.pid });
    return;
  }
  worker?.handle(message);
});
// The control plane is gone: nobody can end these calls properly any more.
process.on('disconnect', () => process.exit(0));

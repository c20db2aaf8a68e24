// One call: its media leg, the bot attached to it, its maximum duration, and one stats line when
// it ends. Whatever ends it (caller, bot, timer, shutdown, a media worker's death), end() runs
// once. Calls are made by the call service (call-service.ts), never by gateways.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { NativeSessionStats } from '../media/media-engine-binding.js';
import { callQuality, type CallQuality } from '../quality/call-quality.js';
import { recordCallQuality } from '../quality/quality-metrics.js';
import type { CallMedia } from './call-media.js';
import { recordCallMedia } from './call-metrics.js';
import type { MediaLeg } from './media-leg.js';

export interface CallInfo {
  callId: string;
  // Where the call came from: the embedded WebRTC edge, Asterisk, or the direct SIP endpoint.
  source: 'webrtc' | 'asterisk' | 'sip';
  from?: string;
  to?: string;
  customParameters?: Record<string, string>;
}

export interface BotSession {
  stop(reason: string): void;
}

// Attaches a bot to a call's media. Bot connectors and the demo bot implement it.
export type BotStarter = (media: CallMedia, info: CallInfo) => BotSession;

export interface CallEvents {
  ended: [reason: string];
}

export interface CallSummary {
  callId: string;
  source: CallInfo['source'];
  placement: string;
  startedAt: string;
  durationMs: number;
  media?: NativeSessionStats;
  // E-model score of the media so far (engine/quality/call-quality.ts); none without RTP.
  quality?: CallQuality;
}

export class Call extends EventEmitter<CallEvents> {
  readonly startedAtMs = Date.now();
  private bot: BotSession | undefined;
  private maxDurationTimer: NodeJS.Timeout | undefined;
  private reason: string | undefined;

  constructor(
    readonly info: CallInfo,
    readonly leg: MediaLeg,
    private readonly logger: Logger,
  ) {
    super();
    // The media can end on its own (bot hangup through CallMedia.hangup, a worker's death).
    leg.once('ended', (reason) => this.end(reason));
  }

  get ended(): boolean {
    return this.reason !== undefined;
  }

  get endReason(): string | undefined {
    return this.reason;
  }

  start(maxDurationMs: number): void {
    // Its media already gone (the worker died while the gateway answered): no bot for nothing.
    if (this.leg.endedWith !== undefined) {
      this.end(this.leg.endedWith);
      return;
    }
    this.maxDurationTimer = setTimeout(() => this.end('max_duration'), maxDurationMs);
    this.maxDurationTimer.unref();
    try {
      this.bot = this.leg.attachBot(this.info);
    } catch (error) {
      this.logger.error({ err: error }, 'bot failed to start');
      this.end('bot_start_failed');
    }
  }

  summary(): CallSummary {
    // A closed leg answers with the stats it had when it closed (the media may end first).
    const media = this.leg.stats();
    return {
      callId: this.info.callId,
      source: this.info.source,
      placement: this.leg.placement,
      startedAt: new Date(this.startedAtMs).toISOString(),
      durationMs: Date.now() - this.startedAtMs,
      media,
      quality: media ? callQuality(media) : undefined,
    };
  }

  end(reason: string): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    clearTimeout(this.maxDurationTimer);
    const durationMs = Date.now() - this.startedAtMs;
    try {
      this.bot?.stop(reason);
    } catch (error) {
      this.logger.error({ err: error }, 'bot threw while stopping');
    }
    endLeg(this.leg, reason, durationMs, this.logger);
    this.emit('ended', reason);
  }
}

// Closes the leg and writes the call's one end line once its final counts are in (at once for an
// inline leg; a worker answers over its channel, or with nothing when it died).
export function endLeg(leg: MediaLeg, reason: string, durationMs: number, logger: Logger): void {
  leg.close(reason).then(
    (media) => logCallEnd(logger, reason, durationMs, media ?? leg.stats()),
    (error: unknown) => {
      logger.warn({ err: error }, 'media leg failed to close');
      logCallEnd(logger, reason, durationMs, leg.stats());
    },
  );
}

// The one end-of-call line and the one place a call's media reaches /metrics.
function logCallEnd(logger: Logger, reason: string, durationMs: number, media: NativeSessionStats | undefined): void {
  const quality = media ? callQuality(media) : undefined;
  if (media) recordCallMedia(media);
  if (quality) recordCallQuality(quality);
  logger.info({ reason, durationMs, media, quality }, 'call ended');
}

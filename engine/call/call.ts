// One call: its media session, the bot attached to it, its maximum duration, and one stats line
// when it ends. Whatever ends it (caller, bot, timer, shutdown), end() runs once.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { MediaSession } from '../media/media-session.js';
import type { NativeSessionStats } from '../media/media-engine-binding.js';
import { callQuality, type CallQuality } from '../quality/call-quality.js';
import { recordCallQuality } from '../quality/quality-metrics.js';
import type { CallMedia } from './call-media.js';
import { recordCallMedia } from './call-metrics.js';

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
  private endReason: string | undefined;

  constructor(
    readonly info: CallInfo,
    readonly media: MediaSession,
    private readonly logger: Logger,
  ) {
    super();
    // The media can end on its own (bot hangup through CallMedia.hangup).
    media.once('ended', (reason) => this.end(reason));
  }

  get ended(): boolean {
    return this.endReason !== undefined;
  }

  start(startBot: BotStarter, maxDurationMs: number): void {
    this.maxDurationTimer = setTimeout(() => this.end('max_duration'), maxDurationMs);
    this.maxDurationTimer.unref();
    try {
      this.bot = startBot(this.media, this.info);
    } catch (error) {
      this.logger.error({ err: error }, 'bot failed to start');
      this.end('bot_start_failed');
    }
  }

  summary(): CallSummary {
    // A closed session answers with the stats it had when it closed (the media may end first).
    const media = this.media.stats();
    return {
      callId: this.info.callId,
      source: this.info.source,
      startedAt: new Date(this.startedAtMs).toISOString(),
      durationMs: Date.now() - this.startedAtMs,
      media,
      quality: media ? callQuality(media) : undefined,
    };
  }

  end(reason: string): void {
    if (this.endReason !== undefined) return;
    this.endReason = reason;
    clearTimeout(this.maxDurationTimer);
    const summary = this.summary();
    try {
      this.bot?.stop(reason);
    } catch (error) {
      this.logger.error({ err: error }, 'bot threw while stopping');
    }
    this.media.close(reason);
    logCallEnd(this.logger, reason, summary.durationMs, summary.media);
    this.emit('ended', reason);
  }
}

// A call that ends before it was answered (the caller's CANCEL, no ACK for the 200 OK) has no
// Call and no bot, but its media session ran: its counts are logged and kept all the same.
export function endUnansweredMedia(media: MediaSession, reason: string, startedAtMs: number, logger: Logger): void {
  media.close(reason);
  logCallEnd(logger, reason, Date.now() - startedAtMs, media.stats());
}

// The one end-of-call line and the one place a call's media reaches /metrics.
function logCallEnd(logger: Logger, reason: string, durationMs: number, media: NativeSessionStats | undefined): void {
  const quality = media ? callQuality(media) : undefined;
  if (media) recordCallMedia(media);
  if (quality) recordCallQuality(quality);
  logger.info({ reason, durationMs, media, quality }, 'call ended');
}

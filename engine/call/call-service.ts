// The one owner of every call's life, for browser, SIP and Asterisk calls alike: it places the
// call's RTP leg (on the least-loaded media worker, or inline), starts the call with its bot and
// its maximum duration, keeps it in the registry (admin view, metrics, drain), and ends it once
// with a reason and one end-of-call line. Gateways translate their protocol and call this; they
// never build a Call themselves.
import type { Logger } from 'pino';
import type { MediaEngine } from '../media/media-engine.js';
import type { MediaSession } from '../media/media-session.js';
import type { RtpSessionOptions } from '../media/media-session-options.js';
import { Call, endLeg, type BotStarter, type CallInfo } from './call.js';
import { CallRegistry } from './call-registry.js';
import { InlineMediaHost, type MediaHost } from './media-host.js';
import { InlineLeg, type MediaLeg } from './media-leg.js';

export interface CallServiceOptions {
  // This process's engine and bot: legs whose transport lives here (werift, chan_websocket,
  // AudioSocket), and every leg when no worker pool is given.
  engine: MediaEngine;
  startBot: BotStarter;
  // Where RTP legs go; this process's engine when absent.
  rtpHost?: MediaHost;
  maxCallMs: number;
  logger: Logger;
  // The registry to keep calls in (a test may hold it); a new one when absent.
  calls?: CallRegistry;
}

export class CallService {
  readonly calls: CallRegistry;
  readonly inline: InlineMediaHost;
  private readonly rtpHost: MediaHost;
  readonly maxCallMs: number;

  constructor(options: CallServiceOptions) {
    this.calls = options.calls ?? new CallRegistry();
    this.inline = new InlineMediaHost(options.engine, options.startBot);
    this.rtpHost = options.rtpHost ?? this.inline;
    this.maxCallMs = options.maxCallMs;
  }

  get size(): number {
    return this.calls.size;
  }

  // An RTP leg on Parley's own UDP sockets (SIP endpoint, Asterisk ExternalMedia over RTP),
  // placed where the media runs.
  createRtpLeg(callId: string, options: RtpSessionOptions): Promise<MediaLeg> {
    return this.rtpHost.createRtpLeg(callId, options);
  }

  // A leg over a session of this process's engine (its transport lives in this process).
  inlineLeg(session: MediaSession): MediaLeg {
    return new InlineLeg(session, this.inline.startBot);
  }

  // Starts the call: registered, bot attached, ended at `maxDurationMs` (the node's maximum by
  // default; a browser call's is what remains of its grant). `onEnded` is listening before the bot
  // starts, so it hears an end that comes at once (a bot that fails to start).
  start(info: CallInfo, leg: MediaLeg, logger: Logger, options: { maxDurationMs?: number; onEnded?: (reason: string) => void } = {}): Call {
    const call = new Call(info, leg, logger);
    this.calls.add(call);
    logger.info({ source: info.source, placement: leg.placement }, 'call started');
    if (options.onEnded) call.once('ended', options.onEnded);
    call.start(options.maxDurationMs ?? this.maxCallMs);
    return call;
  }

  // A leg that ends before its call was answered (the caller's CANCEL, no ACK for the 200 OK):
  // no Call and no bot, but its media ran: its counts are logged and kept all the same.
  endUnanswered(leg: MediaLeg, reason: string, startedAtMs: number, logger: Logger): void {
    endLeg(leg, reason, Date.now() - startedAtMs, logger);
  }
}

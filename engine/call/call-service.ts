// The one owner of every call's life, for browser, SIP and Asterisk calls alike: it admits the
// call under the node-wide cap (call-cap.ts), places the call's media leg (on the least-loaded
// media worker, or inline), starts the call with its bot and
// its maximum duration, keeps it in the registry (admin view, metrics, drain), and ends it once
// with a reason and one end-of-call line. Gateways translate their protocol and call this; they
// never build a Call themselves.
import type { Logger } from 'pino';
import type { MediaEngine } from '../media/media-engine.js';
import type { MediaSession } from '../media/media-session.js';
import type { RtpSessionOptions } from '../media/media-session-options.js';
import type { RefusedSurface } from '../metrics.js';
import { Call, endLeg, type BotStarter, type CallInfo } from './call.js';
import { CallCap, DEFAULT_MAX_CALLS, type CallSlot } from './call-cap.js';
import { CallRegistry } from './call-registry.js';
import { RTP_LEG } from './leg-kind.js';
import { InlineMediaHost, type MediaHost } from './media-host.js';
import { InlineLeg, type MediaLeg } from './media-leg.js';

// Where each kind of call is refused, in parley_refused_total.
const refusedSurface: Record<CallInfo['source'], RefusedSurface> = { webrtc: 'signaling', sip: 'sip', asterisk: 'asterisk' };

export interface CallServiceOptions {
  // This process's engine and bot: every leg when no worker pool is given (and the werift edge's
  // legs when it runs in this process).
  engine: MediaEngine;
  startBot: BotStarter;
  // Where legs go (the media worker pool); this process's engine when absent.
  host?: MediaHost;
  maxCallMs: number;
  // Concurrent calls of every kind on this node (DEFAULT_MAX_CALLS when absent).
  maxCalls?: number;
  logger: Logger;
  // The registry to keep calls in (a test may hold it); a new one when absent.
  calls?: CallRegistry;
}

export class CallService {
  readonly calls: CallRegistry;
  readonly inline: InlineMediaHost;
  private readonly host: MediaHost;
  private readonly cap: CallCap;
  readonly maxCallMs: number;

  constructor(options: CallServiceOptions) {
    this.calls = options.calls ?? new CallRegistry();
    this.inline = new InlineMediaHost(options.engine, options.startBot, options.logger);
    this.host = options.host ?? this.inline;
    this.maxCallMs = options.maxCallMs;
    this.cap = new CallCap(options.maxCalls ?? DEFAULT_MAX_CALLS, options.logger);
  }

  get size(): number {
    return this.calls.size;
  }

  // A slot under the node-wide cap, and under `surfaceMax` (the gateway's own bound on calls from
  // `source`) if given, taken before anything is set up for the call; throws CallCapError
  // (counted, logged once) at either cap. Freed by the end of the leg it is given to, or by
  // release() when the setup fails before there is one.
  admit(source: CallInfo['source'], surfaceMax?: number): CallSlot {
    return this.cap.take(refusedSurface[source], surfaceMax);
  }

  // A leg of `kind` placed where the media runs (a worker, or this process); its end frees `slot`.
  async createLeg(callId: string, kind: string, params: object, slot: CallSlot): Promise<{ leg: MediaLeg; result: Record<string, unknown> }> {
    try {
      const created = await this.host.createLeg(callId, kind, params);
      this.holdUntilEnded(created.leg, slot);
      return created;
    } catch (error) {
      slot.release();
      throw error;
    }
  }

  // An RTP leg on Parley's own UDP sockets (SIP endpoint, Asterisk ExternalMedia over RTP).
  async createRtpLeg(callId: string, options: RtpSessionOptions, slot: CallSlot): Promise<MediaLeg> {
    return (await this.createLeg(callId, RTP_LEG, options, slot)).leg;
  }

  // A leg over a session of this process's engine (the werift edge's when workers are off).
  inlineLeg(session: MediaSession, slot: CallSlot): MediaLeg {
    const leg = new InlineLeg(session, this.inline.startBot);
    this.holdUntilEnded(leg, slot);
    return leg;
  }

  private holdUntilEnded(leg: MediaLeg, slot: CallSlot): void {
    if (leg.endedWith !== undefined) slot.release();
    else leg.once('ended', () => slot.release());
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

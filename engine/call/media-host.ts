// Where a call's media leg is made: this process's own media engine (InlineMediaHost), or the
// least-loaded media worker (engine/workers/worker-pool.ts). The call service places every leg
// through one of these; gateways never choose.
import type { Logger } from 'pino';
import type { MediaEngine } from '../media/media-engine.js';
import type { RtpSessionOptions } from '../media/media-session-options.js';
import type { BotStarter } from './call.js';
import { RTP_LEG, rtpLeg, type LegFactory } from './leg-kind.js';
import { InlineLeg, type MediaLeg } from './media-leg.js';

export interface MediaHost {
  // A leg of `kind` (leg-kind.ts); `result` is what the kind answers (an RTP port, an SDP answer).
  createLeg(callId: string, kind: string, params: object): Promise<{ leg: MediaLeg; result: Record<string, unknown> }>;
}

export class InlineMediaHost implements MediaHost {
  private readonly factories = new Map<string, LegFactory>([[RTP_LEG, rtpLeg]]);

  constructor(
    readonly engine: MediaEngine,
    readonly startBot: BotStarter,
    private readonly logger: Logger,
  ) {}

  // An adapter's kind of leg, made here when workers are off (a worker gets it from its entry).
  registerKind(kind: string, factory: LegFactory): void {
    this.factories.set(kind, factory);
  }

  async createLeg(callId: string, kind: string, params: object): Promise<{ leg: MediaLeg; result: Record<string, unknown> }> {
    const factory = this.factories.get(kind);
    if (!factory) throw new TypeError(`no ${kind} legs in this process`);
    const created = await factory(callId, params as Record<string, unknown>, { engine: this.engine, logger: this.logger.child({ callId }) });
    const localPort = typeof created.result.localPort === 'number' ? created.result.localPort : undefined;
    return { leg: new InlineLeg(created.session, this.startBot, localPort, created), result: created.result };
  }

  createRtpLeg(callId: string, options: RtpSessionOptions): Promise<MediaLeg> {
    return this.createLeg(callId, RTP_LEG, options).then(({ leg }) => leg);
  }
}

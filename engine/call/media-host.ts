// Where a call's RTP leg is created: this process's own media engine (InlineMediaHost), or the
// least-loaded media worker (engine/workers/worker-pool.ts). The call service places every RTP
// leg through one of these; gateways never choose.
import type { MediaEngine } from '../media/media-engine.js';
import type { RtpSessionOptions } from '../media/media-session-options.js';
import type { BotStarter } from './call.js';
import { InlineLeg, type MediaLeg } from './media-leg.js';

export interface MediaHost {
  createRtpLeg(callId: string, options: RtpSessionOptions): Promise<MediaLeg>;
}

export class InlineMediaHost implements MediaHost {
  constructor(
    readonly engine: MediaEngine,
    readonly startBot: BotStarter,
  ) {}

  createRtpLeg(callId: string, options: RtpSessionOptions): Promise<MediaLeg> {
    try {
      const { session, localPort } = this.engine.createRtpSession(callId, options);
      return Promise.resolve(new InlineLeg(session, this.startBot, localPort));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }
}

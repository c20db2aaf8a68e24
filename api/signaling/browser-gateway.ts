// What the signaling socket needs from whatever carries the browser's media: the embedded WebRTC
// edge in embedded mode, Janus in PBX and direct modes.
import type { Logger } from 'pino';
import type { MediaLeg } from '../../engine/call/media-leg.js';
import type { CallMediaOptions } from '../../engine/media/media-session-options.js';

interface CallLegBase {
  answerSdp: string;
  close(reason: string): Promise<void>;
}

// The media leg is this node's (embedded and direct modes, inline or on a media worker): the
// signaling socket has the call service attach the bot to it, and the Call's end is the leg's end.
export interface LocalCallLeg extends CallLegBase {
  media: MediaLeg;
  // Settles with a reason when the transport under the media fails or closes from the far side
  // (the embedded edge's ICE or DTLS): the call ends with it.
  transportEnded?: Promise<string>;
}

// The media flows elsewhere (PBX mode: browser -> Janus -> Asterisk, whose adapter attaches the
// bot): `ended` settles with the reason once the leg has ended, from either side.
export interface RemoteCallLeg extends CallLegBase {
  media?: undefined;
  ended: Promise<string>;
}

export type BrowserCallLeg = LocalCallLeg | RemoteCallLeg;

export interface BrowserGateway {
  // Whether connect applies a call's own media options (the grant request's): only where this
  // node makes the media (embedded mode). A grant asking for them elsewhere is refused.
  readonly callMediaOptions: boolean;
  // `logger` carries the call's id: one line per failure of this call's leg.
  connect(callId: string, offerSdp: string, logger: Logger, media: CallMediaOptions): Promise<BrowserCallLeg>;
}

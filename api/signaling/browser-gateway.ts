// What the signaling socket needs from whatever carries the browser's media: the embedded WebRTC
// edge in embedded mode, Janus in PBX and direct modes.
import type { MediaSession } from '../../engine/media/media-session.js';

export interface BrowserCallLeg {
  answerSdp: string;
  // The media session the bot is attached to, when it lives in this node (embedded and direct
  // modes). Absent in PBX mode: the media flows browser -> Janus -> Asterisk, and the Asterisk
  // adapter attaches the bot when the call reaches its Stasis app.
  media?: MediaSession;
  // Settles with the reason once the leg has ended, from either side.
  ended: Promise<string>;
  close(reason: string): Promise<void>;
}

export interface BrowserGateway {
  connect(callId: string, offerSdp: string): Promise<BrowserCallLeg>;
}

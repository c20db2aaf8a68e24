// Kinds of media leg, by name, made the same way in a media worker and in this process (inline):
// 'rtp' on Parley's own UDP sockets, and what adapters bring (the WebRTC edge's werift legs,
// Asterisk's chan_websocket and AudioSocket links). A factory returns the leg's media session,
// what the control plane is told back (an SDP answer, a port), and optionally the end of its
// transport, what to release at close, and how to connect its transport afterwards (a socket
// the control plane accepted and hands over, or an address to dial).
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { MediaEngine } from '../media/media-engine.js';
import type { MediaSession } from '../media/media-session.js';
import type { RtpSessionOptions } from '../media/media-session-options.js';

export const RTP_LEG = 'rtp';

export interface CreatedLeg {
  session: MediaSession;
  result: Record<string, unknown>;
  transportEnded?: Promise<string>;
  release?: (reason: string) => Promise<void>;
  // Connects the leg's transport once the control plane knows it; `socket` is a TCP connection
  // the control plane accepted and handed to where the leg runs.
  connect?: (params: Record<string, unknown>, socket: Socket | undefined) => Promise<void>;
}

export type LegFactory = (callId: string, params: Record<string, unknown>, context: { engine: MediaEngine; logger: Logger }) => Promise<CreatedLeg>;

// Kinds of leg beyond RTP, by name, each made from its settings (sent once to every worker).
export type LegKinds = Record<string, (settings: unknown) => LegFactory>;

export const rtpLeg: LegFactory = (callId, params, { engine }) => {
  const { session, localPort } = engine.createRtpSession(callId, params as RtpSessionOptions);
  return Promise.resolve({ session, result: { localPort } });
};

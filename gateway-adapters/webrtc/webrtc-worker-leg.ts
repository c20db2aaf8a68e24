// The embedded WebRTC edge's legs inside a media worker: werift's peer connection (ICE, DTLS-SRTP)
// and the media session it feeds live in the worker with the call's bot; only the SDP offer and
// answer cross the worker's channel.
import { z } from 'zod';
import type { LegFactory } from '../../engine/call/leg-kind.js';
import { callMediaOptionsSchema } from '../../engine/media/media-session-options.js';
import { WebRtcEdge } from './webrtc-edge.js';

export const WEBRTC_LEG = 'webrtc';

const settingsSchema = z.object({
  iceServers: z.array(z.object({ urls: z.union([z.string(), z.array(z.string())]), username: z.string().optional(), credential: z.string().optional() })),
  additionalHostAddresses: z.array(z.string()).optional(),
  // The node's media.session options (checked again by the engine when a session is made).
  session: z.record(z.string(), z.unknown()).optional(),
});

export type WebRtcLegSettings = z.infer<typeof settingsSchema>;

const paramsSchema = z.object({ offerSdp: z.string().min(1).max(64 * 1024), media: callMediaOptionsSchema.default({}) });

export function webRtcLegKind(settings: unknown): LegFactory {
  const options = settingsSchema.parse(settings);
  let edge: WebRtcEdge | undefined;
  return async (callId, params, { engine, logger }) => {
    edge ??= new WebRtcEdge(engine, options);
    const { offerSdp, media } = paramsSchema.parse(params);
    const call = await edge.accept(callId, offerSdp, logger, media);
    return { session: call.media, result: { answerSdp: call.answerSdp }, transportEnded: call.transportEnded, release: (reason) => call.close(reason) };
  };
}

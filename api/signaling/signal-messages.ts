// Messages of WS /v1/signal, checked at the edge. Browser -> node: offer, hangup, diagnostics.
// Node -> browser: answer, ended, error.
import { z } from 'zod';

export const MAX_SIGNAL_MESSAGE_BYTES = 64 * 1024;

const diagnosticsSchema = z.object({
  iceStates: z.array(z.object({ state: z.string().max(32), atMs: z.number() })).max(64),
  selectedCandidateType: z.enum(['host', 'srflx', 'prflx', 'relay', 'unknown']),
  roundTripTimeMs: z.number().nonnegative().optional(),
  packetsLost: z.number().int().nonnegative().optional(),
  packetsReceived: z.number().int().nonnegative().optional(),
  jitterMs: z.number().nonnegative().optional(),
  // Signaling sockets that dropped while connecting and were retried with a new grant.
  signalingRetries: z.array(z.object({ code: z.number().int(), atMs: z.number() })).max(4).optional(),
});

export const clientMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('offer'), sdp: z.string().min(1).max(MAX_SIGNAL_MESSAGE_BYTES) }),
  z.object({ type: z.literal('hangup') }),
  z.object({ type: z.literal('diagnostics'), diagnostics: diagnosticsSchema }),
]);

export type ClientMessage = z.infer<typeof clientMessageSchema>;
export type CallDiagnostics = z.infer<typeof diagnosticsSchema>;

export type ServerMessage =
  | { type: 'answer'; sdp: string; callId: string }
  | { type: 'ended'; reason: string }
  | { type: 'error'; error: string; message: string };

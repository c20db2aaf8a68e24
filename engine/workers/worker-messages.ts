// The typed channel between the control plane and a media worker (child_process IPC, structured
// clone): requests down, replies and events up. Both ends check every message against these
// schemas; a message that fails is counted and dropped, never acted on. Audio never crosses here:
// only control (create, attach the bot, re-point, close) and counts.
import { z } from 'zod';
import { REALTIME_PRIORITY_MAX } from '../native/realtime-priority.js';

const callId = z.string().min(1).max(128);
const requestId = z.number().int().nonnegative();
const bytes = z.custom<Uint8Array>((value) => value instanceof Uint8Array);
const networkCodec = z.enum(['PCMU', 'PCMA', 'G722', 'opus', 'L16']);

const callInfoSchema = z.object({
  callId,
  source: z.enum(['webrtc', 'asterisk', 'sip']),
  from: z.string().max(1024).optional(),
  to: z.string().max(1024).optional(),
  customParameters: z.record(z.string(), z.string()).optional(),
});

// Main -> worker.
export const toWorkerSchema = z.discriminatedUnion('type', [
  // The worker's bot (a connector of the configured URL and protocol, or the demo bot).
  // `legKinds`: settings per kind of leg beyond RTP (the WebRTC edge's ICE servers), as the
  // worker's entry (api/media-worker-main.ts) reads them.
  z.object({ type: z.literal('init'), index: z.number().int().nonnegative(), bot: z.record(z.string(), z.unknown()), legKinds: z.record(z.string(), z.unknown()), logLevel: z.string(), realtimePriority: z.number().int().min(0).max(REALTIME_PRIORITY_MAX), reportIntervalMs: z.number().int().positive() }),
  // `params` are checked by the leg kind's own schema (the engine's session options for 'rtp').
  z.object({ type: z.literal('createLeg'), id: requestId, callId, kind: z.string().max(32), params: z.record(z.string(), z.unknown()) }),
  // Connects the leg's transport: an address to dial, or (with a TCP socket handed over beside the
  // message) what the control plane already read from it. Checked by the leg kind's own schema.
  z.object({ type: z.literal('connectTransport'), id: requestId, callId, params: z.record(z.string(), z.unknown()) }),
  z.object({ type: z.literal('attachBot'), callId, info: callInfoSchema }),
  z.object({ type: z.literal('stopBot'), callId, reason: z.string().max(64) }),
  z.object({ type: z.literal('close'), id: requestId, callId, reason: z.string().max(64) }),
  z.object({ type: z.literal('setPaused'), callId, paused: z.boolean() }),
  z.object({ type: z.literal('setRemote'), callId, host: z.string().max(255), port: z.number().int().min(1).max(65535), redirect: z.boolean() }),
  z.object({ type: z.literal('rekeyRemote'), callId, profile: z.string().max(64), remoteKey: bytes }),
  z.object({ type: z.literal('setSrtp'), callId, srtp: z.object({ profile: z.string().max(64), localKey: bytes, remoteKey: bytes }).optional() }),
  // `newLeg`: the options of a new RTP leg (checked by the engine's own schema) when the codec
  // cannot change in place.
  z.object({ type: z.literal('changeCodec'), id: requestId, callId, codec: networkCodec, payloadType: z.number().int().min(0).max(127), newLeg: z.record(z.string(), z.unknown()).optional() }),
  z.object({ type: z.literal('receiveDtmf'), callId, digit: z.string().length(1), durationMs: z.number().nonnegative() }),
  // The bot's DTMF goes back to the control plane (PBX mode: ARI) instead of in-band.
  z.object({ type: z.literal('dtmfThrough'), callId }),
  // Answered once everything sent before it was handled (the control plane's check that the
  // worker is alive before it blames the network for a call's end).
  z.object({ type: z.literal('ping'), id: requestId }),
  // Drain over: close every leg and exit.
  z.object({ type: z.literal('shutdown') }),
]);

// Worker -> main.
export const fromWorkerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), pid: z.number().int() }),
  z.object({ type: z.literal('reply'), id: requestId, ok: z.boolean(), result: z.unknown().optional(), error: z.string().max(2048).optional() }),
  // The media ended on the worker's side (the bot hung up, its session failed).
  z.object({ type: z.literal('ended'), callId, reason: z.string().max(64) }),
  z.object({ type: z.literal('dtmfOut'), callId, digits: z.string().max(64) }),
  // A socket handed over with a message (socket-handover.ts) closed here: its slot in the
  // control plane's connection limit is free.
  z.object({ type: z.literal('socketClosed'), socketId: z.number().int().positive() }),
  // Every reportIntervalMs: load, CPU, the worker's whole prom-client registry as JSON
  // (aggregated into the node's /metrics by worker-metrics.ts), and live legs' media stats (the
  // admin view's and the call summary's live counts): a new leg's at once, then each leg's in
  // every 5th report (leg-stats-rotation.ts).
  z.object({
    type: z.literal('report'),
    calls: z.number().int().nonnegative(),
    // The worker's event loop in SCHED_RR (its realtime priority granted).
    realtime: z.boolean(),
    cpuUserUs: z.number(),
    cpuSystemUs: z.number(),
    // The process's resident set (process.memoryUsage.rss()).
    residentBytes: z.number().nonnegative(),
    metrics: z.array(z.unknown()),
    legStats: z.record(callId, z.record(z.string(), z.unknown())),
  }),
]);

export type ToWorker = z.infer<typeof toWorkerSchema>;
export type FromWorker = z.infer<typeof fromWorkerSchema>;
export type WorkerCallInfo = z.infer<typeof callInfoSchema>;
// Requests that get a reply, without their id (the channel adds it).
export type WorkerRequest = Extract<ToWorker, { id: number }> extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

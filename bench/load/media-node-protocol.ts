// What the load bench and its node under test (media-node.ts) say to each other over IPC.
import { z } from 'zod';
import { REALTIME_PRIORITY_MAX } from '../../engine/native/realtime-priority.js';

export type LoadCodec = 'PCMU' | 'opus';
// null: an in-process echo in the media worker as the bot (media only); parley / twilio: each
// call's bot connection over a real WebSocket to the echo bot process (bench/load/echo-bot.ts).
export type LoadBot = 'null' | 'parley' | 'twilio';

// argv: media workers, the bot protocol, and the echo bot's ws:// URL ('-': media only).
// Workers, the bot protocol, the echo bot's URL ('-': none), the workers' SCHED_RR priority (0: none).
export const nodeArgsSchema = z.tuple([z.coerce.number().int().min(1).max(64), z.enum(['parley', 'twilio']), z.string(), z.coerce.number().int().min(0).max(REALTIME_PRIORITY_MAX)]);

export const nodeRequestSchema = z.discriminatedUnion('type', [
  // Close every call, then place `calls` new ones (by load over the workers, as the node does).
  z.object({
    type: z.literal('calls'),
    calls: z.number().int().min(0).max(5000),
    codec: z.enum(['PCMU', 'opus']),
    bot: z.boolean(),
    echoCancellation: z.boolean().optional(),
    opusComplexity: z.number().int().min(0).max(10),
    botRateHz: z.number().int(),
  }),
  // Opens and closes the measuring window.
  z.object({ type: z.literal('start') }),
  z.object({ type: z.literal('stop') }),
]);
export type NodeRequest = z.infer<typeof nodeRequestSchema>;

export const nodeReplySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  // Each call's RTP port on 127.0.0.1, in call order.
  z.object({ type: z.literal('placed'), ports: z.array(z.number().int()) }),
  z.object({ type: z.literal('started') }),
  z.object({
    type: z.literal('report'),
    // CPU time (user + system) of each media worker process over the window, µs, and of the control plane.
    workerCpuUs: z.array(z.number()),
    workerSystemUs: z.array(z.number()),
    // How long each worker's main thread (its event loop: the media tick) was runnable but waited
    // for a core over the window, µs, and the calls each worker carried.
    workerWaitUs: z.array(z.number()),
    workerCalls: z.array(z.number().int()),
    // Every worker's event loop in SCHED_RR (the realtime priority asked for, and granted).
    workerRealtime: z.boolean(),
    controlCpuUs: z.number(),
    // Cores the whole machine kept busy over the window (every process, this bench's and others').
    machineBusyCores: z.number(),
    wallMs: z.number(),
    // Engine latency (frame due -> handed to the bot) over the workers' reports inside the window:
    // cumulative bucket counts of the histogram, by upper bound in µs (-1: the open bucket).
    latencyBucketsUs: z.array(z.tuple([z.number(), z.number()])),
  }),
]);
export type NodeReply = z.infer<typeof nodeReplySchema>;

// What the load bench and its node under test (media-node.ts) say to each other over IPC.
import { z } from 'zod';

export type LoadCodec = 'PCMU' | 'opus';
// null: an in-process echo as the bot (media only); parley / twilio: each call's bot connection
// over a real WebSocket to the echo bot process (bench/load/echo-bot.ts) in that protocol.
export type LoadBot = 'null' | 'parley' | 'twilio';

export const nodeArgsSchema = z.tuple([
  z.enum(['PCMU', 'opus']),
  z.coerce.number().int().min(1).max(5000),
  z.coerce.number().int().min(1024).max(60000),
  z.coerce.number().int().min(0).max(10),
  // The bot's rate: 16 kHz (the default) makes every leg resample both ways.
  z.coerce.number().pipe(z.union([z.literal(8000), z.literal(16000), z.literal(24000), z.literal(48000)])),
  z.enum(['null', 'parley', 'twilio']),
  // The echo bot's ws:// URL ('-' with the null bot).
  z.string(),
]);

export const nodeReportSchema = z.object({
  type: z.literal('report'),
  // CPU time (user + system) the node spent between start and stop, µs.
  cpuUs: z.number(),
  // Of which in the kernel (socket calls, loopback delivery of what the node sends).
  cpuSystemUs: z.number(),
  wallMs: z.number(),
  // 99th percentile of (a phase slot's due time → every due session's frame handed to its bot), µs.
  tickLatencyP99Us: z.number(),
  // 99th percentile of one tick's own duration (its sessions' work, without the timer's lateness), µs.
  tickWorkP99Us: z.number(),
  ticks: z.number().int(),
  // Caller frames handed to bot connections and bot frames they played back, over the window.
  framesToBot: z.number().int(),
  framesFromBot: z.number().int(),
});

export type NodeReport = z.infer<typeof nodeReportSchema>;

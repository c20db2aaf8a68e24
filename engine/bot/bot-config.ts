// Configuration of the bot connectors (the `bot` section of the node's config). With no `url`,
// the embedded demo bot answers calls instead.
import { z } from 'zod';
import { DEFAULT_BOT_RATE_HZ, type BotRateHz } from '../media/media-session-options.js';
import { TWILIO_SAMPLE_RATE_HZ } from './twilio-media-streams/twilio-messages.js';

export const botConfigSchema = z.object({
  url: z.url({ protocol: /^wss?$/ }).optional(),
  protocol: z.enum(['parley', 'twilio']).default('parley'),
  // Sent as the Authorization header of the WebSocket upgrade (for example "Bearer <token>").
  authorization: z.string().optional(),
  connectTimeoutMs: z.number().int().min(100).max(60_000).default(5000),
  // Reconnects after a fault before giving up (fallback prompt, then hangup). 0: never reconnect.
  reconnectAttempts: z.number().int().min(0).max(10).default(1),
  reconnectBackoffMs: z.number().int().min(0).max(30_000).default(250),
  // Caller audio waiting for a slow bot: past this much in the socket's send buffer (or queued
  // while connecting), frames are dropped and counted rather than buffered without bound.
  maxBufferedMs: z.number().int().min(20).max(30_000).default(1000),
  // A bot that reads nothing for this long while Parley has something to send it (audio or
  // events past the send budget above) is given up on: the caller hears the fallback prompt and
  // the call ends with reason `bot_stuck`. Until then, what does not fit is dropped and counted.
  stuckTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  // Bot audio ahead of playout: past this, further bot audio is dropped and counted.
  maxPlayoutMs: z.number().int().min(1000).max(600_000).default(60_000),
  // Largest message accepted from a bot (bigger ones close the connection, RFC 6455 section 7.4.1 code 1009).
  maxMessageBytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(1024 * 1024),
});

export type BotConfig = z.infer<typeof botConfigSchema>;
export type BotProtocol = BotConfig['protocol'];

// The rate a node's sessions hand a bot of `protocol` unless media.session.botRateHz says otherwise.
// A Twilio bot hears and speaks 8 kHz µ-law only: at 16 kHz a G.711 call would be resampled up
// for the bot's leg to resample it back down, both ways (four passes a frame that carry nothing).
export const defaultBotRateHz = (protocol: BotProtocol): BotRateHz => (protocol === 'twilio' ? TWILIO_SAMPLE_RATE_HZ : DEFAULT_BOT_RATE_HZ);
export type BotConnectorOptions = BotConfig & { url: string };

// Schemas of the Parley bot protocol, version 1 (docs/bot-protocol.md). Text frames are JSON
// events; binary frames are PCM16LE mono audio at the call's rate in whole 20 ms frames.
import { z } from 'zod';
import { FRAME_MS } from '../../media/frame.js';

export { FRAME_MS };
export const PARLEY_PROTOCOL_VERSION = 1;
// Largest bot audio message: a second of audio (bigger bursts are fine as several messages).
export const MAX_FRAMES_PER_MESSAGE = 50;

const name = z.string().min(1).max(256);

// Messages a bot may send (text frames).
export const botMessageSchemas = {
  mark: z.object({ event: z.literal('mark'), name }),
  clear: z.object({ event: z.literal('clear') }),
  hangup: z.object({ event: z.literal('hangup'), reason: z.string().max(256).optional() }),
  // RFC 4733 events: digits, * and #, and A-D.
  dtmf: z.object({ event: z.literal('dtmf'), digits: z.string().regex(/^[0-9*#A-Da-d]{1,32}$/) }),
};

export interface StartMessage {
  event: 'start';
  version: typeof PARLEY_PROTOCOL_VERSION;
  callId: string;
  // true when Parley reconnected after a fault: the call is the same, the bot's state may not be.
  resumed: boolean;
  caller: { source: string; from?: string; to?: string };
  media: { encoding: 'pcm16le'; sampleRateHz: number; channels: 1; frameMs: typeof FRAME_MS; networkCodec: string };
  customParameters: Record<string, string>;
}

// Schemas of the ARI events the adapter consumes (models in Asterisk's events.json), checked at
// the edge: an event without the documented fields is counted and dropped, never half-handled.
import { z } from 'zod';

const channel = z.object({
  id: z.string(),
  name: z.string(),
  state: z.string(),
  dialplan: z.object({ context: z.string(), exten: z.string(), priority: z.number() }),
  caller: z.object({ name: z.string(), number: z.string() }),
});

const base = { application: z.string(), timestamp: z.string() };

export const stasisStartSchema = z.object({ ...base, type: z.literal('StasisStart'), args: z.array(z.string()), channel });
export const stasisEndSchema = z.object({ ...base, type: z.literal('StasisEnd'), channel });
// Also sent for a channel that never entered the app: ARI subscribes the app to a channel it
// originates (ExternalMedia) before dialling it, so a failed dial is reported here.
export const channelDestroyedSchema = z.object({ ...base, type: z.literal('ChannelDestroyed'), cause: z.number().int(), cause_txt: z.string(), channel });
export const channelDtmfSchema = z.object({
  ...base,
  type: z.literal('ChannelDtmfReceived'),
  digit: z.string().regex(/^[0-9A-D*#]$/),
  duration_ms: z.number().int().min(0),
  channel,
});

export type StasisStart = z.infer<typeof stasisStartSchema>;
export type StasisEnd = z.infer<typeof stasisEndSchema>;
export type ChannelDtmf = z.infer<typeof channelDtmfSchema>;

// Twilio Media Streams messages, field by field as Twilio publishes them
// (twilio.com/docs/voice/media-streams/websocket-messages). Twilio sends `connected`, `start`,
// `media`, `dtmf`, `mark` and `stop`; a bidirectional stream's server sends back `media`, `mark`
// and `clear`. Numbers travel as strings (sequenceNumber, chunk, timestamp), as Twilio sends them.
import { z } from 'zod';

export const TWILIO_SAMPLE_RATE_HZ = 8000;

export interface TwilioMediaFormat {
  encoding: 'audio/x-mulaw';
  sampleRate: typeof TWILIO_SAMPLE_RATE_HZ;
  channels: 1;
}

export type TwilioToBot =
  | { event: 'connected'; protocol: 'Call'; version: '1.0.0' }
  | {
      event: 'start';
      sequenceNumber: string;
      start: {
        streamSid: string;
        accountSid: string;
        callSid: string;
        tracks: Array<'inbound' | 'outbound'>;
        customParameters: Record<string, string>;
        mediaFormat: TwilioMediaFormat;
      };
      streamSid: string;
    }
  | { event: 'media'; sequenceNumber: string; media: { track: 'inbound'; chunk: string; timestamp: string; payload: string }; streamSid: string }
  | { event: 'dtmf'; streamSid: string; sequenceNumber: string; dtmf: { track: 'inbound_track'; digit: string } }
  | { event: 'mark'; sequenceNumber: string; streamSid: string; mark: { name: string } }
  | { event: 'stop'; sequenceNumber: string; streamSid: string; stop: { accountSid: string; callSid: string } };

const STREAM_SID_MIN_CHARS = 1;
const STREAM_SID_MAX_CHARS = 64;
const streamSid = z.string().min(STREAM_SID_MIN_CHARS).max(STREAM_SID_MAX_CHARS);

// Messages a bot sends (Twilio: "Send messages to Twilio").
export const twilioBotMessageSchemas = {
  media: z.object({ event: z.literal('media'), streamSid, media: z.object({ payload: z.string() }) }),
  mark: z.object({ event: z.literal('mark'), streamSid, mark: z.object({ name: z.string().min(1).max(256) }) }),
  clear: z.object({ event: z.literal('clear'), streamSid }),
};

export type TwilioBotMedia = z.infer<typeof twilioBotMessageSchemas.media>;

// zod's own test for an object (arrays and null are not).
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

// The media schema's verdict on a parsed message, without zod's walk and the copy it builds: a
// bot sends 50 a second. It accepts exactly what the schema accepts (extra fields included, as
// zod strips them; a test holds the two to the same verdicts); the schema stays the definition,
// and says why when this refuses.
export function isTwilioBotMedia(raw: unknown): raw is TwilioBotMedia {
  if (!isRecord(raw) || raw.event !== 'media') return false;
  const media = raw.media;
  if (!isRecord(media) || typeof media.payload !== 'string') return false;
  const sid = raw.streamSid;
  return typeof sid === 'string' && sid.length >= STREAM_SID_MIN_CHARS && sid.length <= STREAM_SID_MAX_CHARS;
}

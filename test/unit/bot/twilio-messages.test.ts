import { describe, expect, it } from 'vitest';
import { isTwilioBotMedia, twilioBotMessageSchemas } from '../../../engine/bot/twilio-media-streams/twilio-messages.js';

const sid64 = `MZ${'0'.repeat(62)}`;

// Media messages as a bot may send them, each as the JSON text the protocol parses.
const accepted = [
  '{"event":"media","streamSid":"MZ1","media":{"payload":"AAAA"}}',
  `{"event":"media","streamSid":"${sid64}","media":{"payload":""}}`,
  '{"event":"media","streamSid":"M","media":{"payload":"not base64, which is not the schema\'s to say"}}',
  // Fields the schema does not name are stripped, not refused (what Twilio itself sends has more).
  '{"event":"media","sequenceNumber":"4","streamSid":"MZ1","media":{"track":"outbound","chunk":"2","timestamp":"40","payload":"AAAA"},"extra":[1]}',
  '{"event":"media","streamSid":"MZ1","media":{"payload":"AAAA","__proto__":{"x":1}},"__proto__":null}',
];

const refused = [
  '{"event":"media","media":{"payload":"AAAA"}}',
  '{"event":"media","streamSid":"","media":{"payload":"AAAA"}}',
  `{"event":"media","streamSid":"${sid64}0","media":{"payload":"AAAA"}}`,
  '{"event":"media","streamSid":12,"media":{"payload":"AAAA"}}',
  '{"event":"media","streamSid":null,"media":{"payload":"AAAA"}}',
  '{"event":"media","streamSid":["MZ1"],"media":{"payload":"AAAA"}}',
  '{"event":"media","streamSid":"MZ1"}',
  '{"event":"media","streamSid":"MZ1","media":null}',
  '{"event":"media","streamSid":"MZ1","media":"AAAA"}',
  '{"event":"media","streamSid":"MZ1","media":["AAAA"]}',
  '{"event":"media","streamSid":"MZ1","media":{}}',
  '{"event":"media","streamSid":"MZ1","media":{"payload":12}}',
  '{"event":"media","streamSid":"MZ1","media":{"payload":null}}',
  '{"event":"media","streamSid":"MZ1","media":{"payload":["AAAA"]}}',
  '{"event":"media","streamSid":"MZ1","media":{"payload":{"data":"AAAA"}}}',
  // An own "__proto__" key is a field like any other: it does not lend media a payload.
  '{"event":"media","streamSid":"MZ1","media":{"__proto__":{"payload":"AAAA"}}}',
  '{"event":"mark","streamSid":"MZ1","media":{"payload":"AAAA"}}',
  '{"event":"MEDIA","streamSid":"MZ1","media":{"payload":"AAAA"}}',
  '{"streamSid":"MZ1","media":{"payload":"AAAA"}}',
  '[{"event":"media","streamSid":"MZ1","media":{"payload":"AAAA"}}]',
  'null',
  '"media"',
  '7',
];

const bySchema = (text: string): boolean => twilioBotMessageSchemas.media.safeParse(JSON.parse(text)).success;
const byCheck = (text: string): boolean => isTwilioBotMedia(JSON.parse(text));

describe('the media message check beside its zod schema', () => {
  it('accepts what the schema accepts', () => {
    expect(accepted.map(bySchema)).toEqual(accepted.map(() => true));
    expect(accepted.map(byCheck)).toEqual(accepted.map(() => true));
  });

  it('refuses what the schema refuses: missing fields, wrong types, a stream SID of 0 or 65 characters', () => {
    expect(refused.map(bySchema)).toEqual(refused.map(() => false));
    expect(refused.map(byCheck)).toEqual(refused.map(() => false));
  });
});

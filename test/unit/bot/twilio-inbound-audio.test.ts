import alawmulaw from 'alawmulaw';
import { describe, expect, it } from 'vitest';
import { TwilioInboundAudio } from '../../../engine/bot/twilio-media-streams/twilio-inbound-audio.js';
import { Resampler } from '../../../engine/native/resampler.js';
import { reasonOf } from '../../support/malformed-reason.js';

// Payloads of different audio and lengths in a row: 20 ms, 10 ms, 20 ms again, 1 s (longer than
// the reused arrays), 20 ms.
const LENGTHS = [160, 80, 160, 8000, 160];
const payloads = LENGTHS.map((length, n) => Uint8Array.from({ length }, (_, i) => (n * 51 + i * 7) & 0xff));
const base64 = (codes: Uint8Array): string => Buffer.from(codes).toString('base64');

describe('TwilioInboundAudio', () => {
  it('at 8 kHz, hands each payload its own µ-law decoded audio, one message after another', () => {
    const audio = new TwilioInboundAudio(8000);
    // Copied as the media session copies it: the array is the protocol's until the next payload.
    const heard = payloads.map((codes) => audio.pcmOf(base64(codes)).slice());
    expect(heard).toEqual(payloads.map((codes) => Int16Array.from(codes, (c) => alawmulaw.mulaw.decodeSample(c))));
  });

  it('at 16 kHz, hands each payload the audio the streaming resampler makes of it', () => {
    const audio = new TwilioInboundAudio(16000);
    const reference = new Resampler(8000, 16000);
    const heard = payloads.map((codes) => audio.pcmOf(base64(codes)).slice());
    const expected = payloads.map((codes) => reference.process(Int16Array.from(codes, (c) => alawmulaw.mulaw.decodeSample(c))));
    expect(heard.map((pcm) => pcm.length)).toEqual(LENGTHS.map((length) => 2 * length));
    expect(heard).toEqual(expected);
  });

  it('reuses its arrays for messages of up to 100 ms: no new array for a bot\'s steady 20 ms', () => {
    for (const rateHz of [8000, 16000] as const) {
      const audio = new TwilioInboundAudio(rateHz);
      const first = audio.pcmOf(base64(payloads[0]!));
      const shorter = audio.pcmOf(base64(payloads[1]!));
      const again = audio.pcmOf(base64(payloads[2]!));
      expect(again).toBe(audio.pcmOf(base64(payloads[0]!)));
      expect([shorter.buffer, again.buffer]).toEqual([first.buffer, first.buffer]);
      expect(audio.pcmOf(base64(payloads[3]!)).buffer).not.toBe(first.buffer);
      // 100 ms exactly, and the longest text that rounds to it (a padded group): reused too.
      for (const bytes of [800, 799]) expect(audio.pcmOf(base64(new Uint8Array(bytes).fill(0x55))).buffer).toBe(first.buffer);
    }
  });

  it('refuses junk longer than the reused arrays as not base64', () => {
    const audio = new TwilioInboundAudio(8000);
    expect(reasonOf(() => audio.pcmOf('!'.repeat(2000)))).toBe('bad_base64');
    expect(reasonOf(() => audio.pcmOf('A'.repeat(2001)))).toBe('bad_base64');
    expect(reasonOf(() => audio.pcmOf(`${'A'.repeat(1999)}=`))).toBeUndefined();
  });

  it('refuses a payload that is not base64, or carries no byte or more than 10 s', () => {
    const audio = new TwilioInboundAudio(16000);
    const reason = (payload: string): string | undefined => reasonOf(() => audio.pcmOf(payload));
    expect(reason('AB-_')).toBe('bad_base64');
    expect(reason('')).toBe('payload_size');
    expect(reason(base64(new Uint8Array(80_001)))).toBe('payload_size');
    expect(reason(base64(new Uint8Array(80_000)))).toBeUndefined();
  });

  it('refuses a character past ASCII whose low byte is a base64 character', () => {
    const audio = new TwilioInboundAudio(8000);
    expect(reasonOf(() => audio.pcmOf(`\u0141${base64(payloads[0]!).slice(1)}`))).toBe('bad_base64');
  });

  it('refuses a text longer than any 10 s payload by its length, whatever its characters', () => {
    // The longest 10 s text is 106,668 characters; one group more is refused before it is read.
    const audio = new TwilioInboundAudio(8000);
    expect(reasonOf(() => audio.pcmOf(base64(new Uint8Array(80_003))))).toBe('payload_size');
    expect(reasonOf(() => audio.pcmOf('!'.repeat(106_672)))).toBe('payload_size');
    expect(reasonOf(() => audio.pcmOf('!'.repeat(106_668)))).toBe('bad_base64');
  });
});

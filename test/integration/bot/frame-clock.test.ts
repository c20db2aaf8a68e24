// docs/bot-protocol.md promises the bot a continuous 20 ms clock: a frame every tick, silence
// included. A caller leg that has sent no RTP at all (an Asterisk channel whose caller is silent
// sends nothing) must still give the bot its frames, and `atMs` on events must count them.
import { describe, expect, it } from 'vitest';
import { botFixture } from '../../support/bot-fixture.js';

describe('the bot\'s frame clock with a silent caller, over a real WebSocket and real UDP', () => {
  const t = botFixture();

  it('sends the bot a frame of silence every tick while no RTP arrives, and stamps a digit with that clock', async () => {
    const { call, bot } = await t.connect({ session: { telephoneEventPayloadType: 101 } });
    // A second of frames, not one RTP packet sent.
    await bot.until(() => bot.audio.length >= 50);
    expect(call.session.stats().packetsReceived).toBe(0);
    expect(bot.audio.slice(0, 50).every((frame) => frame.length === 640 && frame.every((byte) => byte === 0))).toBe(true);

    // RFC 4733 section 2.3: a '5' of 100 ms, its end sent three times.
    const event = (end: boolean, duration: number): Uint8Array => Uint8Array.of(5, (end ? 0x80 : 0) | 10, duration >> 8, duration & 0xff);
    const packets = [event(false, 160), event(false, 480), event(true, 800), event(true, 800), event(true, 800)];
    packets.forEach((payload, i) => call.peer.send({ payloadType: 101, ssrc: 0x5005, sequenceNumber: 100 + i, timestamp: 8000, marker: i === 0 }, payload, call.localPort));
    await bot.until(() => bot.named('dtmf').length === 1);
    const digit = bot.named('dtmf')[0]!;
    expect(digit).toMatchObject({ digit: '5', durationMs: 100 });
    // Stamped on the frames the bot had, not 0 as when frames waited for the caller's first packet.
    expect(digit.atMs).toBeGreaterThanOrEqual(1000);
  });
});

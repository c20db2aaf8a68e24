// A PCMA caller whose phone sends the A-law idle byte (0xD5, +8 once decoded) before speaking:
// over real RTP on UDP to a real bot socket, the bot hears speech_started for the speech only.
import alawmulaw from 'alawmulaw';
import { describe, expect, it } from 'vitest';
import { botFixture } from '../../support/bot-fixture.js';
import { frames } from '../../support/frames.js';
import { renderSpeech } from '../../support/speech.js';

const IDLE_FRAMES = 75;
const ALAW_IDLE = 0xd5;

describe('A-law idle before speech', () => {
  const t = botFixture();

  it('fires no speech_started before the caller speaks, and one once they do', async () => {
    const { call, bot } = await t.connect({ session: { codec: 'PCMA', payloadType: 8 } });
    const idle = Array.from({ length: IDLE_FRAMES }, () => new Uint8Array(160).fill(ALAW_IDLE));
    const speech = frames(renderSpeech('Hello, I would like to book a table.', { rateHz: 8000 }), 160).map((f) => alawmulaw.alaw.encode(f));
    await call.peer.stream([...idle, ...speech], call.localPort, { payloadType: 8, ssrc: 0x8a8a, samplesPerFrame: 160 });
    await bot.until(() => bot.named('speech_started').length >= 1);
    // The bot had every idle frame (and any silence the jitter buffer played before the first
    // packet) before the first speech_started.
    const firstAtMs = bot.named('speech_started')[0]!.atMs as number;
    expect(firstAtMs).toBeGreaterThanOrEqual(IDLE_FRAMES * 20);
    expect(bot.sequence.slice(0, bot.sequence.indexOf('speech_started')).filter((m) => m === 'binary').length).toBeGreaterThanOrEqual(IDLE_FRAMES);
  });
});

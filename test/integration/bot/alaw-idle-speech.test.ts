// A PCMA caller whose phone sends the A-law idle byte (0xD5, +8 once decoded) before speaking:
// over real RTP on UDP to a real bot socket, and over a PCM leg (Asterisk's slin16 WebSocket, with
// the A-law phone behind Asterisk), speech_started comes for the speech only.
import alawmulaw from 'alawmulaw';
import { describe, expect, it } from 'vitest';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import { Resampler } from '../../../engine/native/resampler.js';
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

  it('over a PCM leg, where the idle may begin mid-frame after the leg\'s first zeros', () => {
    const rateHz = 16000;
    const frameSamples = rateHz / 50;
    const idle8k = alawmulaw.alaw.decode(new Uint8Array(8000 * 1.5).fill(ALAW_IDLE));
    const speech8k = alawmulaw.alaw.decode(alawmulaw.alaw.encode(renderSpeech('Hello, I would like to book a table.', { rateHz: 8000 })));
    // Up to 200 ms of zeros in 5 ms steps: the idle's first sample lands at every position in a frame.
    for (let zerosMs = 0; zerosMs <= 200; zerosMs += 5) {
      const line8k = new Int16Array(zerosMs * 8 + idle8k.length + speech8k.length);
      line8k.set(idle8k, zerosMs * 8);
      line8k.set(speech8k, zerosMs * 8 + idle8k.length);
      const line = new Resampler(8000, rateHz).process(line8k);
      const speechFrame = Math.floor(((zerosMs * 8 + idle8k.length) * 2) / frameSamples);
      const engine = new MediaEngine({ clock: 'manual' });
      const startUs = 1_000_000;
      const session = engine.createPcmSession('alaw-idle', { botRateHz: rateHz, legRateHz: rateHz }, startUs);
      let frame = 0;
      const started: number[] = [];
      session.on('speechStarted', () => started.push(frame));
      try {
        for (frame = 0; (frame + 1) * frameSamples <= line.length; frame++) {
          session.pushCallerPcm(line.subarray(frame * frameSamples, (frame + 1) * frameSamples));
          engine.tick(startUs + frame * 20_000);
        }
      } finally {
        engine.stop();
      }
      expect(started.length, `${zerosMs} ms of zeros`).toBeGreaterThanOrEqual(1);
      expect(started[0], `${zerosMs} ms of zeros: speech starts in frame ${speechFrame}`).toBeGreaterThanOrEqual(speechFrame);
    }
  });
});

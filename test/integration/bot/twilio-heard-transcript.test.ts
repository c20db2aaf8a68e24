// Twilio semantics end to end: a Twilio-style bot (sentences + marks, `clear` from its own VAD,
// transcript truncated by the marks it got back) over a real WebSocket, a caller on real RTP over
// UDP who talks over the bot's answer, and the media options a Twilio deployment gets from the
// node's configuration. The bot must end up with the transcript of what the caller heard.
import alawmulaw from 'alawmulaw';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../api/config.js';
import { heardFrames, tone } from '../../support/bot-call.js';
import { botFixture } from '../../support/bot-fixture.js';
import { frames } from '../../support/frames.js';
import { rmsDbfs } from '../../support/signal-metrics.js';
import { renderSpeech } from '../../support/speech.js';
import { TwilioStyleBot } from '../../support/twilio-style-bot.js';

const SENTENCE_FRAMES = 30;
// One tone per sentence, so the caller's audio says which sentence each packet carried: a 20 ms
// frame of f Hz crosses zero f / 25 times at 8 kHz (20, 32, 44, 56, 68, 80 crossings).
const SENTENCE_HZ = [500, 800, 1100, 1400, 1700, 2000];
const CROSSING_TOLERANCE = 5;
// Frames that mix two sentences (resampler delay at a boundary) are unclassified; allow for them.
const BOUNDARY_FRAMES = 2;

function zeroCrossings(frame: Int16Array): number {
  let count = 0;
  for (let i = 1; i < frame.length; i++) if (frame[i - 1]! < 0 !== frame[i]! < 0) count++;
  return count;
}

// Which sentence a packet the caller received carried, or -1 (silence, or a mixed frame).
function sentenceOf(frame: Int16Array): number {
  if (rmsDbfs(frame) < -30) return -1;
  const crossings = zeroCrossings(frame);
  return SENTENCE_HZ.findIndex((hz) => Math.abs(crossings - hz / 25) <= CROSSING_TOLERANCE);
}

describe('Twilio Media Streams semantics: the bot knows what the caller heard', () => {
  const t = botFixture();

  it('a caller barging in mid-answer: marks come back only as their audio plays, only the bot\'s clear interrupts, and the truncated transcript is what was heard', async () => {
    // What a node with PARLEY_BOT_PROTOCOL=twilio gives its media sessions (barge-in unset).
    const config = loadConfig({ PARLEY_BOT_PROTOCOL: 'twilio', PARLEY_BOT_URL: 'ws://127.0.0.1:9/bot' });
    expect(config.media.session.bargeIn).toBe(false);
    const { call, bot: peer } = await t.connect({ bot: { protocol: 'twilio' }, session: config.media.session });
    const bot = new TwilioStyleBot(peer, peer.events[1]!.streamSid as string, () => call.peer.received.length);
    const sentences = SENTENCE_HZ.map((hz, i) => ({ name: `sentence-${i}`, pcm8k: tone(8000, SENTENCE_FRAMES * 20, hz) }));
    bot.speak(sentences);

    // The caller starts talking once the second sentence has come back as played.
    await bot.until(() => bot.marks.length >= 2);
    const speech8k = renderSpeech('Wait, wait, that is not what I asked for at all.', { rateHz: 8000 });
    const talking = call.peer.stream(frames(speech8k, 160).map((f) => alawmulaw.mulaw.encode(f)), call.localPort, { payloadType: 0, ssrc: 0x7711, samplesPerFrame: 160 });
    await bot.until(() => bot.cleared);
    // Twilio answers the marks of the audio a clear dropped: every mark comes back, in order.
    await bot.until(() => bot.marks.length === sentences.length);
    await talking;
    expect(bot.marks.map((m) => m.name)).toEqual(sentences.map((s) => s.name));

    const heard = heardFrames(call.peer).map(sentenceOf);
    const heardOf = (sentence: number): number => heard.filter((s) => s === sentence).length;
    const kept = bot.transcript.length;
    // Interrupted mid-answer: some sentences kept, not all.
    expect(kept).toBeGreaterThanOrEqual(2);
    expect(kept).toBeLessThan(sentences.length);
    expect(bot.transcript).toEqual(sentences.slice(0, kept).map((s) => s.name));
    // Every sentence in the transcript reached the caller whole ...
    for (let s = 0; s < kept; s++) expect(heardOf(s)).toBeGreaterThanOrEqual(SENTENCE_FRAMES - BOUNDARY_FRAMES);
    // ... the one playing at the clear was cut short, and none after it was heard.
    expect(heardOf(kept)).toBeLessThan(SENTENCE_FRAMES - BOUNDARY_FRAMES);
    for (let s = kept + 1; s < sentences.length; s++) expect(heardOf(s)).toBeLessThanOrEqual(1);

    // Each mark reached the bot no earlier than its sentence's audio reached the caller: when it
    // arrived, the caller had every packet of that sentence but at most the last, still in flight
    // on loopback while the mark went out on the WebSocket.
    for (let s = 0; s < kept; s++) {
      const lastPacket = heard.lastIndexOf(s);
      expect(bot.marks[s]!.afterClear).toBe(false);
      expect(bot.marks[s]!.callerPacketsAtMark).toBeGreaterThanOrEqual(lastPacket);
    }
    // Parley itself never interrupted the bot.
    expect(call.session.stats().bargeIns).toBe(0);
  });

  it('Parley\'s own barge-in serves a Twilio bot only when explicitly enabled', () => {
    const twilio = { PARLEY_BOT_PROTOCOL: 'twilio', PARLEY_BOT_URL: 'ws://127.0.0.1:9/bot' };
    expect(loadConfig({ ...twilio, PARLEY_BARGE_IN: 'true' }).media.session.bargeIn).toBe(true);
    expect(loadConfig({ PARLEY_BOT_URL: 'ws://127.0.0.1:9/bot' }).media.session.bargeIn).toBe(true);
    // The embedded demo bot (no bot URL) keeps barge-in whatever the protocol says.
    expect(loadConfig({ PARLEY_BOT_PROTOCOL: 'twilio' }).media.session.bargeIn).toBe(true);
    expect(loadConfig({ PARLEY_BARGE_IN: 'false' }).media.session.bargeIn).toBe(false);
  });

  it('a Twilio bot\'s sessions run at its 8 kHz unless media.session.botRateHz says otherwise', () => {
    const twilio = { PARLEY_BOT_PROTOCOL: 'twilio', PARLEY_BOT_URL: 'ws://127.0.0.1:9/bot' };
    expect(loadConfig(twilio).media.session.botRateHz).toBe(8000);
    expect(loadConfig({ ...twilio, PARLEY_BOT_RATE_HZ: '16000' }).media.session.botRateHz).toBe(16000);
    expect(loadConfig({ PARLEY_BOT_URL: 'ws://127.0.0.1:9/bot' }).media.session.botRateHz).toBe(16000);
    expect(loadConfig({ PARLEY_BOT_PROTOCOL: 'twilio' }).media.session.botRateHz).toBe(16000);
  });
});

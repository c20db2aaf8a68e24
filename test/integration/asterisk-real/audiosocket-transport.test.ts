// AudioSocket held to the same checks as the other ExternalMedia transports on the real Asterisk
// (transport-check.ts: a tone and speech each way), plus what differs on it: barge-in needs no
// flush in Asterisk (chan_audiosocket queues nothing, so the caller hears nothing of the bot right
// after it), and a caller who pauses between phrases, or stops sending for seconds, loses nothing.
import { describe, expect, it } from 'vitest';
import { until } from '../../support/asterisk/parley-pbx.js';
import { realAsteriskPerFile } from '../../support/asterisk/real-pbx.js';
import { rmsDbfs } from '../../support/signal-metrics.js';
import { renderSpeech } from '../../support/speech.js';
import { loudFrames, mulawRoundTrip, windowSnr } from '../../support/window-snr.js';
import { BOT_TEXT, CALLER_TEXT, checkTransport } from './transport-check.js';

const audiosocket = { transport: 'audiosocket' as const, audiosocket: { listenPort: 0 } };

describe('real Asterisk: ExternalMedia AudioSocket (slin 8 kHz over TCP)', () => {
  const env = realAsteriskPerFile();

  it('carries a tone and speech both ways and leaves nothing behind', async () => {
    const measure = await checkTransport(env, audiosocket, 'audiosocket');
    expect(measure.toBotToneSnrDb).toBeGreaterThan(25);
    expect(measure.toCallerToneSnrDb).toBeGreaterThan(25);
    expect(measure.toBotSpeech).toBeGreaterThan(0.8);
    expect(measure.toCallerSpeech).toBeGreaterThan(0.8);
  });

  it('barge-in: the caller hears nothing of the bot 100 ms after it, with no flush sent to Asterisk', async () => {
    const longReply = renderSpeech(`${BOT_TEXT} ${BOT_TEXT} ${BOT_TEXT}`, { rateHz: 16000 });
    const parley = await env.parley({ config: audiosocket, botSays: longReply, session: { bargeIn: true } });
    const caller = await env.dial();
    const bot = await parley.bots.started(0);
    let bargedInAtSample = -1;
    bot.media.once('bargeIn', () => (bargedInAtSample = caller.heard().length));
    await until(() => caller.packetsReceived >= 50, 'the bot reply at the caller');
    await caller.say(renderSpeech(CALLER_TEXT, { rateHz: 8000 }));
    await until(() => bargedInAtSample >= 0, 'barge-in');
    const heard = caller.heard();
    expect(rmsDbfs(heard, 0, bargedInAtSample)).toBeGreaterThan(-40);
    expect(rmsDbfs(heard, bargedInAtSample + 800)).toBeLessThan(-55);
  });

  it('loses nothing of a caller who pauses 150 ms between phrases and then stays silent for 3 s', async () => {
    const parley = await env.parley({ config: audiosocket, session: { botRateHz: 8000 } });
    const caller = await env.dial();
    const bot = await parley.bots.started(0);
    const phrase = renderSpeech('Three copies of one phrase.', { rateHz: 8000 });
    for (let i = 0; i < 3; i++) {
      await caller.say(phrase);
      await caller.pause(150);
    }
    await caller.pause(3000);
    await caller.say(phrase);
    await until(() => loudFrames(bot.heard()) >= loudFrames(phrase) * 4 * 0.98, 'all four phrases at the bot');
    // Each copy arrives whole: the last one matched on its own after the 3 s silence.
    const heard = bot.heard();
    const last = windowSnr(mulawRoundTrip(phrase), heard.subarray(heard.length - phrase.length - 8000), 8000);
    console.info(`[asterisk-real] audiosocket after pauses: ${loudFrames(heard)} loud frames of ${loudFrames(phrase) * 4}, last phrase SNR ${last.medianSnrDb.toFixed(1)} dB`);
    expect(last.medianCorrelation).toBeGreaterThan(0.95);
  });
});

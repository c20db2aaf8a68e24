// A real SIP phone through a real Asterisk to Parley: baresip (Debian's package; a WAV file as
// its microphone, what it hears dumped by sndfile) -> PJSIP -> dialplan Stasis(parley) -> Parley
// ExternalMedia -> bot, audio both ways judged on the audio, and hangup from either side.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishedCalls, startParley, until } from '../../support/asterisk/parley-pbx.js';
import { RealAsterisk } from '../../support/asterisk/real-asterisk.js';
import { Baresip, writeWavFile } from '../../support/baresip.js';
import { step } from '../../support/signal-client.js';
import { renderSpeech } from '../../support/speech.js';
import { loudFrames, mulawRoundTrip, windowSnr } from '../../support/window-snr.js';

const RATE_HZ = 8000;
const phoneSpeech = renderSpeech('This is a desk phone calling the voice bot through the PBX.', { rateHz: RATE_HZ });
const botSpeech = renderSpeech('Hello desk phone, the bot hears you and answers through Asterisk.', { rateHz: RATE_HZ });
const transports = [
  { name: 'rtp (ulaw)', config: { transport: 'rtp' as const } },
  { name: 'audiosocket', config: { transport: 'audiosocket' as const, audiosocket: { listenPort: 0 } } },
];

describe('baresip -> real Asterisk PJSIP -> Parley', () => {
  let asterisk: RealAsterisk;
  let dir: string;

  beforeAll(async () => {
    asterisk = await RealAsterisk.start();
    dir = mkdtempSync(join(tmpdir(), 'parley-baresip-'));
    // baresip hangs up by itself when its aufile microphone reaches the end of the file: the
    // speech is followed by silence so that the test's own hangup is the one that ends the call
    // (a phone hanging up at the end of the speech raced the test's wait for the call's end).
    const speakThenSilence = new Int16Array(phoneSpeech.length + RATE_HZ * 30);
    speakThenSilence.set(phoneSpeech);
    writeWavFile(join(dir, 'speak.wav'), speakThenSilence, RATE_HZ);
    // The phone starts silent and speaks once the bot is attached: what it says before Parley
    // has bridged the call would reach no one.
    writeWavFile(join(dir, 'silence.wav'), new Int16Array(RATE_HZ * 30), RATE_HZ);
  });
  afterAll(async () => {
    await asterisk?.dispose();
    if (dir && !process.env.KEEP) rmSync(dir, { recursive: true, force: true });
  });

  for (const { name, config } of transports) {
    it(`carries the phone's speech to the bot and the bot's to the phone over ${name}; the phone hangs up`, async () => {
      const parley = await startParley({ url: asterisk.ariUrl, ...asterisk.ari, config, session: { botRateHz: RATE_HZ }, botSays: botSpeech });
      const phone = await Baresip.start({ dir: join(dir, `audio-${config.transport}`), speakWav: join(dir, 'silence.wav') });
      try {
        await phone.dial(`sip:7000@127.0.0.1:${asterisk.sipPort}`);
        await phone.event('CALL_ESTABLISHED');
        const bot = await step('the bot', parley.bots.started(0));
        expect(await phone.speak(join(dir, 'speak.wav'))).toMatchObject({ ok: true });
        const spoken = loudFrames(phoneSpeech);
        await until(() => loudFrames(bot.heard()) >= spoken * 0.95 && bot.media.queuedMs === 0, `the phone's speech at the bot and the bot's speech sent (${name})`);

        const finished = finishedCalls(parley.adapter, 1);
        await phone.command('hangup');
        await step('Parley finishing the call', finished);
        expect(bot.stopReason).toBe('caller_hangup');
        await phone.event('CALL_CLOSED');

        const up = windowSnr(mulawRoundTrip(phoneSpeech), bot.heard(), RATE_HZ);
        // sndfile's dump is complete once the call closed.
        await until(() => loudFrames(phone.heard()) > 0, 'the phone recording');
        const down = windowSnr(mulawRoundTrip(botSpeech), phone.heard(), RATE_HZ);
        console.info(`baresip over ${name}: phone->bot SNR ${up.medianSnrDb.toFixed(1)} dB r=${up.medianCorrelation.toFixed(3)} (${up.windows} windows); ` +
          `bot->phone SNR ${down.medianSnrDb.toFixed(1)} dB r=${down.medianCorrelation.toFixed(3)} (${down.windows} windows); loud frames at the phone ${loudFrames(phone.heard())} of ${loudFrames(botSpeech)}`);
        expect(up.windows).toBeGreaterThan(5);
        expect(up.medianCorrelation).toBeGreaterThan(0.9);
        expect(up.medianSnrDb).toBeGreaterThan(15);
        expect(down.windows).toBeGreaterThan(5);
        expect(down.medianCorrelation).toBeGreaterThan(0.9);
        expect(down.medianSnrDb).toBeGreaterThan(15);
        await until(async () => (await asterisk.leftovers()).channels === 0, 'no channel left in Asterisk');
      } finally {
        await phone.stop();
        await parley.close();
      }
    });
  }

  it('hangs the phone up when the bot hangs up', async () => {
    const parley = await startParley({ url: asterisk.ariUrl, ...asterisk.ari, config: { transport: 'audiosocket', audiosocket: { listenPort: 0 } } });
    const phone = await Baresip.start({ dir: join(dir, 'bot-hangup'), speakWav: join(dir, 'speak.wav') });
    try {
      await phone.dial(`sip:7000@127.0.0.1:${asterisk.sipPort}`);
      await phone.event('CALL_ESTABLISHED');
      const bot = await step('the bot', parley.bots.started(0));
      bot.media.hangup('bot_hangup');
      await phone.event('CALL_CLOSED');
      await until(async () => (await asterisk.leftovers()).channels === 0, 'no channel left in Asterisk');
    } finally {
      await phone.stop();
      await parley.close();
    }
  });
});

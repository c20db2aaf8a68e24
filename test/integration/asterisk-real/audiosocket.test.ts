// ExternalMedia over AudioSocket on a real Asterisk 22: a SIP caller (PCMU) -> PJSIP -> dialplan
// Stasis(parley) -> Parley (encapsulation=audiosocket, transport=tcp, Parley listening) -> bot at
// 8 kHz, and the bot's speech back the same way. Audio is judged on the audio (SNR and
// correlation against the µ-law round trip of what was sent), hangups from both sides and by max
// duration leave nothing in Asterisk, and a hostile connection to the AudioSocket port is refused
// while a live call goes on.
import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../../engine/metrics.js';
import { finishedCalls, startParley, until, type ParleyPbx } from '../../support/asterisk/parley-pbx.js';
import { RealAsterisk } from '../../support/asterisk/real-asterisk.js';
import { SipCaller } from '../../support/asterisk/sip-caller.js';
import { renderSpeech } from '../../support/speech.js';
import { sine } from '../../support/test-signals.js';
import { loudFrames, mulawRoundTrip, windowSnr } from '../../support/window-snr.js';

const RATE_HZ = 8000;
const callerSpeech = renderSpeech('Hello, I would like to check the status of my order please.', { rateHz: RATE_HZ });
const botSpeech = renderSpeech('Thank you for calling. Your order left the warehouse this morning.', { rateHz: RATE_HZ });

async function refused(reason: string): Promise<number> {
  const metric = await registry.getSingleMetric('parley_refused_total')!.get();
  return metric.values.find((value) => value.labels.surface === 'audiosocket' && value.labels.reason === reason)?.value ?? 0;
}

describe('AudioSocket ExternalMedia on a real Asterisk', () => {
  let asterisk: RealAsterisk;
  let parley: ParleyPbx | undefined;
  let caller: SipCaller | undefined;

  beforeAll(async () => {
    asterisk = await RealAsterisk.start();
  });
  afterAll(async () => {
    await asterisk?.dispose();
  });
  afterEach(async () => {
    caller?.close();
    caller = undefined;
    await parley?.close();
    parley = undefined;
  });

  const start = (options: { maxCallMs?: number } = {}): Promise<ParleyPbx> =>
    startParley({
      url: asterisk.ariUrl,
      ...asterisk.ari,
      config: { transport: 'audiosocket', audiosocket: { listenPort: 0 } },
      session: { botRateHz: RATE_HZ },
      botSays: botSpeech,
      maxCallMs: options.maxCallMs,
    });

  it('carries slin 8 kHz both ways: the caller speech reaches the bot and the bot speech the caller', async () => {
    parley = await start();
    caller = await SipCaller.dial(asterisk.sipPort, '7000');
    const bot = await parley.bots.started(0);
    await caller.say(callerSpeech);
    const botFrames = Math.ceil(botSpeech.length / 160);
    // Loud frames, not packets: Parley sends silence messages while the bot says nothing, and
    // those would count. All but 5 % of the speech's loud frames (frame edges fall elsewhere at
    // the caller) must arrive.
    const botLoudFrames = loudFrames(mulawRoundTrip(botSpeech));
    await until(() => bot.media.queuedMs === 0 && loudFrames(caller!.heard()) >= botLoudFrames * 0.95, 'the bot speech at the caller');

    const up = windowSnr(mulawRoundTrip(callerSpeech), bot.heard(), RATE_HZ);
    const down = windowSnr(mulawRoundTrip(botSpeech), caller.heard(), RATE_HZ);
    console.info(`AudioSocket caller->bot: SNR ${up.medianSnrDb.toFixed(1)} dB, r=${up.medianCorrelation.toFixed(3)} over ${up.windows} windows; ` +
      `bot->caller: SNR ${down.medianSnrDb.toFixed(1)} dB, r=${down.medianCorrelation.toFixed(3)}; caller got ${caller.packetsReceived} packets for ${botFrames} bot frames`);
    expect(up.windows).toBeGreaterThan(5);
    expect(up.medianCorrelation).toBeGreaterThan(0.95);
    expect(up.medianSnrDb).toBeGreaterThan(20);
    expect(down.medianCorrelation).toBeGreaterThan(0.95);
    expect(down.medianSnrDb).toBeGreaterThan(20);

    const finished = finishedCalls(parley.adapter, 1);
    await caller.hangUp();
    await finished;
    expect(bot.stopReason).toBe('caller_hangup');
    await until(async () => (await asterisk.leftovers()).channels === 0, 'no channel left in Asterisk');
    expect((await asterisk.leftovers()).bridges).toBe(0);
  });

  it('hangs the caller up when the bot hangs up, and at the maximum call duration', async () => {
    parley = await start({ maxCallMs: 3000 });
    caller = await SipCaller.dial(asterisk.sipPort, '7000');
    const bot = await parley.bots.started(0);
    // The bot's speech, not the silence messages Parley sends while the bot says nothing.
    await until(() => caller!.heard().some((sample) => Math.abs(sample) > 1000), 'the bot speech at the caller');
    bot.media.hangup('bot_hangup');
    await caller.remoteHangup;

    const second = await SipCaller.dial(asterisk.sipPort, '7000');
    try {
      const secondBot = await parley.bots.started(1);
      await second.remoteHangup;
      expect(secondBot.stopReason).toBe('max_duration');
    } finally {
      second.close();
    }
    await until(async () => (await asterisk.leftovers()).channels === 0, 'no channel left in Asterisk');
  });

  it('keeps concurrent calls apart: each bot hears its own caller and each caller its own bot', async () => {
    const CALLS = 10;
    parley = await start();
    const tone = (i: number): Int16Array => sine(RATE_HZ * 2, RATE_HZ, 300 + 150 * i, 8000);
    const callers = await Promise.all(Array.from({ length: CALLS }, () => SipCaller.dial(asterisk.sipPort, '7000')));
    try {
      const bots = await Promise.all(callers.map((_, i) => parley!.bots.started(i)));
      // Which bot belongs to which caller: the caller's SIP Call-ID is not visible to the bot, so
      // each bot answers with a tone of its own and the callers are matched by what they hear.
      bots.forEach((bot, i) => bot.media.play(tone(i)));
      await Promise.all(callers.map((caller, i) => caller.say(tone(i))));
      await until(() => bots.every((bot) => bot.media.queuedMs === 0) && callers.every((caller) => loudFrames(caller.heard()) >= 95), 'every tone at its far end');
      for (const [i, caller] of callers.entries()) {
        const heard = caller.heard();
        const botIndex = bots.findIndex((_, b) => windowSnr(mulawRoundTrip(tone(b)), heard, RATE_HZ).medianCorrelation > 0.95);
        expect(botIndex, `caller ${i} hears one bot`).toBeGreaterThanOrEqual(0);
        // That bot heard this caller's tone, and no other caller's.
        const score = (c: number): number => windowSnr(mulawRoundTrip(tone(c)), bots[botIndex]!.heard(), RATE_HZ).medianCorrelation;
        expect(score(i)).toBeGreaterThan(0.95);
        expect(score((i + 1) % CALLS)).toBeLessThan(0.5);
      }
    } finally {
      for (const caller of callers) caller.close();
    }
  }, 120_000);

  it('refuses hostile connections to the AudioSocket port while a live call goes on', async () => {
    parley = await start();
    caller = await SipCaller.dial(asterisk.sipPort, '7000');
    const bot = await parley.bots.started(0);
    const port = parley.adapter.audioSocketPort!;
    const hostile: Array<{ reason: string; bytes: Buffer }> = [
      { reason: 'unknown_type', bytes: Buffer.from([0x42, 0x00, 0x00]) },
      { reason: 'oversize', bytes: Buffer.from([0x10, 0xff, 0xff]) },
      { reason: 'audio_before_uuid', bytes: Buffer.from([0x10, 0x00, 0x02, 0x00, 0x00]) },
      { reason: 'unknown_uuid', bytes: Buffer.concat([Buffer.from([0x01, 0x00, 0x10]), Buffer.alloc(16, 0xab)]) },
    ];
    for (const { reason, bytes } of hostile) {
      const before = await refused(reason);
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(bytes);
      await new Promise((resolve) => socket.once('close', resolve));
      expect(await refused(reason), reason).toBe(before + 1);
    }
    // The live call still carries the caller's speech to the bot.
    const heardBefore = bot.frames.length;
    await caller.say(callerSpeech);
    await until(() => bot.frames.length - heardBefore >= callerSpeech.length / 160, 'the caller speech at the bot');
    expect(windowSnr(mulawRoundTrip(callerSpeech), bot.heard().subarray(heardBefore * 160), RATE_HZ).medianCorrelation).toBeGreaterThan(0.95);
    expect(bot.stopReason).toBeUndefined();
  });
});

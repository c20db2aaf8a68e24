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
    // All but 1 % of the bot's frames reach the caller (a packet lost would keep this waiting).
    await until(() => caller!.packetsReceived >= botFrames * 0.99 && bot.media.queuedMs === 0, 'the bot speech at the caller');

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
    await until(() => caller!.packetsReceived > 10, 'bot audio at the caller');
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

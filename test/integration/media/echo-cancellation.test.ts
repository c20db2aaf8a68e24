// Echo cancellation on a real PCMU leg over UDP: the "caller" is a phone that sends the bot's own
// audio back 120 ms later at -10 dB through a small room, μ-law both ways. The bot must get the
// caller's audio with the echo removed, the echo alone must never interrupt the bot, and the
// caller talking over it still must.
import { afterEach, describe, expect, it } from 'vitest';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import { botSpeech } from '../../support/bot-speech.js';
import { EchoPhone } from '../../support/echo-phone.js';
import { renderSpeech } from '../../support/speech.js';

const FRAME_MS = 20;
const CONVERGED_FROM_PACKET = 100; // 2 s
const SPEECH_FROM_PACKET = 450; // 9 s

const energyDb = (energy: number, samples: number): number => 10 * Math.log10(energy / samples / 32768 ** 2 + 1e-12);
const sum = (values: number[], from: number, to: number): number => values.slice(from, to).reduce((a, b) => a + b, 0);

describe('echo cancellation on an RTP leg over real UDP', () => {
  let engine: MediaEngine | undefined;
  let phone: EchoPhone | undefined;
  afterEach(() => {
    engine?.stop();
    phone?.close();
  });

  it('hands the bot the caller without the echo of its own voice, is not interrupted by it, and still is by the caller', async () => {
    engine = new MediaEngine();
    const callerSpeech = renderSpeech('Sorry, can I stop you there? I need to change my delivery address.', { rateHz: 8000, voice: 'en-us' });
    phone = await EchoPhone.open({ delayMs: 120, gainDb: -10, speech: callerSpeech, speechFromPacket: SPEECH_FROM_PACKET });
    // Defaults of a telephone leg: echo cancellation on, barge-in on.
    const { session, localPort } = engine.createRtpSession('echo-call', { codec: 'PCMU' });
    // The caller's speech is measured over its first 1.2 s (packets up to SPEECH_FROM_PACKET + 60),
    // which the bot hears after the barge-in: the test waits for them (and a few frames of the
    // jitter buffer's delay).
    const heard: Int16Array[] = [];
    const heardSpeech = new Promise<void>((resolve) =>
      session.on('audio', (frame) => {
        if (heard.push(frame.slice()) === SPEECH_FROM_PACKET + 70) resolve();
      }),
    );
    const bargeIns: { playoutMs: number; phonePackets: number }[] = [];
    const bargedIn = new Promise<void>((resolve) =>
      session.on('bargeIn', (playoutMs) => {
        bargeIns.push({ playoutMs, phonePackets: phone!.echoEnergy.length });
        resolve();
      }),
    );
    phone.dial(localPort!);
    session.play(botSpeech(20_000));
    await Promise.race([bargedIn, new Promise((_, reject) => setTimeout(() => reject(new Error('no barge-in within 20 s')), 20_000))]);
    await Promise.race([heardSpeech, new Promise((_, reject) => setTimeout(() => reject(new Error('the caller\'s speech did not reach the bot')), 5_000))]);

    console.log(`[echo-cancellation] barge-in ${bargeIns[0]!.playoutMs - SPEECH_FROM_PACKET * FRAME_MS} ms of bot audio after the caller's first packet`);
    // Not one barge-in before the caller spoke: the first is the caller's.
    expect(bargeIns).toHaveLength(1);
    expect(bargeIns[0]!.phonePackets).toBeGreaterThan(SPEECH_FROM_PACKET);
    // The bot audio sent when it was interrupted: past the point where the caller started (the
    // phone answers one packet per packet played, so packet n is n frames into the bot's audio),
    // and within the jitter buffer, the minimum speech and a few frames of margin after it.
    expect(bargeIns[0]!.playoutMs).toBeGreaterThanOrEqual((SPEECH_FROM_PACKET - 10) * FRAME_MS);
    // Up to 2 s after. Where the canceller works at the caller's onset its output decides
    // (barge_in_detector.h): 100-180 ms of bot audio after the caller's first packet in 5 runs of
    // 8; in the other 3 the canceller was not trusted at the onset (the echo's delay moves with
    // the jitter buffer here) and Geigel's test on the raw capture decided, 1.1-1.6 s after
    // (240 ms to 1.4 s when that test always decided).
    expect(bargeIns[0]!.playoutMs).toBeLessThanOrEqual((SPEECH_FROM_PACKET + 100) * FRAME_MS);

    // Echo removed: what the bot heard over the echo-only part (from 2 s, once converged, to the
    // caller's speech) against the echo the phone put on the line over the same packets. The
    // bot's frames are 16 kHz, 320 samples; the phone's 8 kHz, 160.
    const echoIn = energyDb(sum(phone.echoEnergy, CONVERGED_FROM_PACKET, SPEECH_FROM_PACKET), (SPEECH_FROM_PACKET - CONVERGED_FROM_PACKET) * 160);
    const botHeard = heard.slice(CONVERGED_FROM_PACKET, SPEECH_FROM_PACKET);
    const heardEnergy = botHeard.reduce((total, frame) => total + frame.reduce((s, x) => s + x * x, 0), 0);
    const heardDb = energyDb(heardEnergy, botHeard.length * 320);
    const reductionDb = echoIn - heardDb;
    console.log(`[echo-cancellation] echo in ${echoIn.toFixed(1)} dBFS, heard by the bot ${heardDb.toFixed(1)} dBFS: ${reductionDb.toFixed(1)} dB less; stats ${JSON.stringify(session.stats().echo)}`);
    // Measured over loopback on the shared 2-core machine: 7-17 dB (the bench's offline traces
    // reach 35-48 dB; here the echo's delay moves under the filter with the jitter buffer).
    // Without the canceller (echoCancellation: false) it is 0 dB.
    expect(reductionDb).toBeGreaterThanOrEqual(6);
    // The caller's speech reached the bot at its own level (double talk: the canceller must not
    // take it for echo), well above what is left of the echo.
    const speechHeard = heard.slice(SPEECH_FROM_PACKET + 10, SPEECH_FROM_PACKET + 60);
    const speechDb = energyDb(speechHeard.reduce((t, f) => t + f.reduce((s, x) => s + x * x, 0), 0), speechHeard.length * 320);
    const speechIn = energyDb(sum(phone.speechEnergy, SPEECH_FROM_PACKET + 10, SPEECH_FROM_PACKET + 60), 50 * 160);
    console.log(`[echo-cancellation] caller speech in ${speechIn.toFixed(1)} dBFS, heard ${speechDb.toFixed(1)} dBFS`);
    expect(speechDb - speechIn).toBeGreaterThan(-6);
    expect(speechDb - heardDb).toBeGreaterThan(10);
    const stats = session.stats();
    expect(stats.echo?.delayMs).toBeGreaterThan(80);
    expect(stats.echo?.delayMs).toBeLessThan(300);
  }, 40_000);
});

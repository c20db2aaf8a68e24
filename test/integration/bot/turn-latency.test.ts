// Turn latency over a real call: RTP over real UDP from the caller, the Parley protocol over a real
// WebSocket to the bot. The test makes the timing (the bot answers a set time after the caller
// stops; the caller talks over a long answer) and checks the measured numbers against it, in
// bounds: they are media time, but the bot's answer travels through the event loop.
import alawmulaw from 'alawmulaw';
import { describe, expect, it } from 'vitest';
import { registry } from '../../../engine/metrics.js';
import { pcmBytes, tone, untilRtp, voicedCount } from '../../support/bot-call.js';
import { botFixture } from '../../support/bot-fixture.js';
import { frames } from '../../support/frames.js';
import { renderSpeech } from '../../support/speech.js';

const HANGOVER_MS = 160; // the session's default vadHangoverMs: speech_stopped comes this long after the speech
const BOT_THINKS_MS = 400;
const FRAME_MS = 20;

function callerPayloads(text: string, silenceMs: number): Uint8Array[] {
  const speech = renderSpeech(text, { rateHz: 8000 });
  const padded = new Int16Array(speech.length + (8000 / 1000) * silenceMs);
  padded.set(speech);
  return frames(padded, 160).map((frame) => alawmulaw.mulaw.encode(frame));
}

describe('turn latency', () => {
  const t = botFixture();

  it('measures the caller end of speech to the first frame of the bot answer, and tells the bot, the call stats and /metrics', async () => {
    const { call, bot } = await t.connect();
    let answeredAt: number | undefined;
    void bot.until(() => bot.named('speech_stopped').length > 0).then(
      () =>
        new Promise<void>((resolve) =>
          setTimeout(() => {
            answeredAt = performance.now();
            bot.send(pcmBytes(tone(16000, 1000)));
            resolve();
          }, BOT_THINKS_MS),
        ),
    );
    await call.peer.stream(callerPayloads('what is the weather like today', 1500), call.localPort, { payloadType: 0, ssrc: 0x7171, samplesPerFrame: 160 });
    await bot.until(() => bot.named('turn').length > 0);
    expect(answeredAt).toBeDefined();
    // One caller turn (no pause in the sentence long enough to end it early), one answer.
    expect(bot.named('speech_stopped')).toHaveLength(1);
    const [turn] = bot.named('turn');
    expect(turn).toMatchObject({ event: 'turn', kind: 'response' });
    const latencyMs = turn!.latencyMs as number;
    // At least the hangover plus the bot's own pause (less one frame of rounding); the rest is
    // the WebSocket and the next frame boundary, well under a second on loopback.
    expect(latencyMs).toBeGreaterThanOrEqual(HANGOVER_MS + BOT_THINKS_MS - FRAME_MS);
    expect(latencyMs).toBeLessThan(HANGOVER_MS + BOT_THINKS_MS + 1500);
    const stats = call.session.stats().turns;
    expect(stats.response).toMatchObject({ count: 1, lastMs: latencyMs, maxMs: latencyMs, meanMs: latencyMs });
    expect(stats.interruption.count).toBe(0);
    const metric = await registry.getSingleMetricAsString('parley_turn_latency_seconds');
    expect(metric).toMatch(/parley_turn_latency_seconds_count\{kind="response"\} [1-9]/);
  });

  it('measures the caller speech onset over the bot answer to the answer stopping at the network', async () => {
    // No echo on this line: the canceller's Geigel test (barge_in_detector.h) would make a caller
    // quieter than the bot's loud test tone wait; that has its own tests.
    const { call, bot } = await t.connect({ session: { echoCancellation: false } });
    for (let second = 0; second < 6; second++) bot.send(pcmBytes(tone(16000, 1000))); // messages of at most 1 s
    await untilRtp(call.peer, () => voicedCount(call.peer) >= 25);
    await call.peer.stream(callerPayloads('Sorry, can I stop you there please?', 500), call.localPort, { payloadType: 0, ssrc: 0x7272, samplesPerFrame: 160 });
    await bot.until(() => bot.named('turn').length > 0);
    const [turn] = bot.named('turn');
    expect(turn).toMatchObject({ event: 'turn', kind: 'interruption' });
    // Parley's barge-in: a run of bargeInMinSpeechMs (120) of speech from the onset, and the
    // answer flushed in the frame that decides it.
    expect(turn!.latencyMs).toBeGreaterThanOrEqual(120 - FRAME_MS);
    expect(turn!.latencyMs).toBeLessThanOrEqual(200);
    expect(bot.named('barge_in')).toHaveLength(1);
    // The interruption comes after the barge-in that caused it.
    expect(bot.events.findIndex((e) => e.event === 'turn')).toBeGreaterThan(bot.events.findIndex((e) => e.event === 'barge_in'));
    expect(call.session.stats().turns.interruption).toMatchObject({ count: 1, lastMs: turn!.latencyMs });
  });
});

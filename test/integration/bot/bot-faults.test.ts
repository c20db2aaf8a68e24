import alawmulaw from 'alawmulaw';
import { describe, expect, it } from 'vitest';
import { botMetrics } from '../../../engine/bot/bot-metrics.js';
import { prompt } from '../../../engine/bot/demo-bot/speech-source.js';
import { counterValue, pcmBytes, recordingLogger, startBotCall, tone, untilRtp, voicedCount } from '../../support/bot-call.js';
import { botFixture } from '../../support/bot-fixture.js';
import { frames } from '../../support/frames.js';
import { freeTcpPort } from '../../support/free-port.js';
import { renderSpeech } from '../../support/speech.js';

describe('bot connection faults, over a real WebSocket and RTP over real UDP', () => {
  const t = botFixture();

  it('a bot dying mid-call gives the caller the fallback prompt, then a clean hangup, logged and counted', async () => {
    const { logger, lines } = recordingLogger();
    const faultsBefore = await counterValue(botMetrics.faults, { protocol: 'parley', kind: 'closed' });
    const { call, bot } = await t.connect({ info: { callId: 'call-dies' }, logger });
    bot.send(pcmBytes(tone(16000, 200)));
    await untilRtp(call.peer, () => voicedCount(call.peer) >= 8);
    const atDeath = call.peer.received.length;
    bot.socket.terminate();

    expect(await call.ended).toBe('bot_unavailable');
    const goodbyeFrames = Math.floor((await prompt('goodbye', 16000)).length / 320);
    // The whole prompt reached the caller before the hangup (speech has pauses: most frames voiced).
    await call.peer.waitFor(atDeath + goodbyeFrames - 1);
    expect(voicedCount(call.peer, atDeath)).toBeGreaterThan(goodbyeFrames / 2);
    expect(call.connection.stats).toMatchObject({ faults: 1, reconnects: 0, fallback: true });
    expect(await counterValue(botMetrics.faults, { protocol: 'parley', kind: 'closed' })).toBe(faultsBefore + 1);
    const line = lines.find((l) => l.level === 50 && l.kind === 'closed');
    expect(line).toMatchObject({ callId: 'call-dies', msg: expect.stringContaining('fallback') });
  });

  it('an unreachable bot is retried per the reconnect policy, then the caller hears the fallback and is hung up', async () => {
    const port = await freeTcpPort(); // nothing listens on it
    const before = await counterValue(botMetrics.faults, { protocol: 'parley', kind: 'connect_failed' });
    const call = (t.call = await startBotCall({ url: `ws://127.0.0.1:${port}/bot`, reconnectAttempts: 1, reconnectBackoffMs: 50 }));
    expect(await call.ended).toBe('bot_unavailable');
    expect(voicedCount(call.peer)).toBeGreaterThan(10);
    expect(call.connection.stats).toMatchObject({ faults: 2, reconnects: 1, fallback: true });
    expect(await counterValue(botMetrics.faults, { protocol: 'parley', kind: 'connect_failed' })).toBe(before + 2);
  });

  it('reconnects after a bot closes, announcing the resumed call, and the call goes on', async () => {
    const { server, call, bot: first } = await t.connect({ bot: { reconnectAttempts: 2, reconnectBackoffMs: 20 } });
    first.socket.close(1011, 'bot restarting');
    const second = await server.peer(1);
    await second.until(() => second.events.length > 0);
    expect(second.events[0]).toMatchObject({ event: 'start', resumed: true, callId: call.session.callId });
    second.send(pcmBytes(tone(16000, 100)));
    second.send({ event: 'mark', name: 'alive' });
    await second.until(() => second.named('mark').length === 1);
    expect(call.session.isClosed).toBe(false);
    expect(call.connection.stats).toMatchObject({ faults: 1, reconnects: 1, fallback: false });
  });

  it('bounds caller audio queued for a bot still connecting: the oldest frames are dropped and counted', async () => {
    let accept: ((ok: boolean) => void) | undefined;
    const { server, call } = await t.start({ server: { verifyClient: (_info, done) => void (accept = done) }, bot: { maxBufferedMs: 200, connectTimeoutMs: 30_000 } });
    const speech = renderSpeech('Are you there? Hello?', { rateHz: 8000 });
    const payloads = frames(speech, 160).map((frame) => alawmulaw.mulaw.encode(frame));
    await call.peer.stream(payloads, call.localPort, { payloadType: 0, ssrc: 0x99, samplesPerFrame: 160 });
    expect(call.connection.stats.droppedToBot).toBeGreaterThan(payloads.length / 2);
    accept!(true);
    const bot = await server.peer();
    await bot.until(() => bot.events.length > 0 && bot.audio.length >= 10);
    expect(bot.sequence[0]).toBe('start');
    const { droppedToBot, framesToBot } = call.connection.stats;
    // Nothing lost silently: every frame the media produced was either sent or counted as dropped.
    expect(framesToBot + droppedToBot).toBe(call.session.stats().frames);
  });

  it('hangs up when the bot says so, once its queued audio has been played, with the closed reason bot_hangup', async () => {
    const { call, bot } = await t.connect();
    bot.send(pcmBytes(tone(16000, 400)));
    // The bot's text never becomes the call's end reason (a metric label, sent to the browser).
    bot.send({ event: 'hangup', reason: 'goodbye_said' });
    expect(await call.ended).toBe('bot_hangup');
    await call.peer.waitFor(19);
    expect(voicedCount(call.peer)).toBeGreaterThanOrEqual(19);
    await bot.until(() => bot.closeCode !== undefined);
    expect(bot.named('stop')[0]).toMatchObject({ reason: 'bot_hangup' });
    expect(bot.closeCode).toBe(1000);
  });
});

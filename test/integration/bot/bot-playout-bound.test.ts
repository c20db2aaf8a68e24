// Bot audio toward a real media session (manual clock, so nothing plays out meanwhile) over a real
// WebSocket: what would take the playout queue past maxPlayoutMs is dropped and counted, and each
// bot message costs one crossing into native code, its bound checked there. A Twilio bot's media
// messages are decoded into arrays the protocol reuses for the next message, so each must be
// queued (copied) before the next is read: the caller hears every message's own audio, in order.
import alawmulaw from 'alawmulaw';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { botConfigSchema } from '../../../engine/bot/bot-config.js';
import { botConnectorStarter } from '../../../engine/bot/bot-connector.js';
import { botMetrics } from '../../../engine/bot/bot-metrics.js';
import type { BotConnection } from '../../../engine/bot/bot-connection.js';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import type { NativeMediaEngine } from '../../../engine/media/media-engine-binding.js';
import type { BotRateHz } from '../../../engine/media/media-session-options.js';
import { Resampler } from '../../../engine/native/resampler.js';
import { frameStartUs } from '../../../bench/load/media-only-call.js';
import { counterValue } from '../../support/bot-call.js';
import { BotServer } from '../../support/bot-server.js';

const FRAME_BYTES = 640;
const MAX_PLAYOUT_MS = 1000;
const SENT_FRAMES = 60;
// Twilio media payloads: 20 ms, 20 ms, 10 ms, 200 ms (longer than the reused arrays), 20 ms, a
// different level each.
const TWILIO_LENGTHS = [160, 160, 80, 1600, 160];
const twilioPayloads = TWILIO_LENGTHS.map((length, n) => Uint8Array.from({ length }, (_, i) => (0x10 + 0x21 * n + (i % 5)) & 0xff));

describe('bot audio toward a media session', () => {
  let server: BotServer | undefined;
  let connection: BotConnection | undefined;
  let engine: MediaEngine | undefined;
  afterEach(async () => {
    connection?.stop('test_over');
    engine?.stop();
    await server?.close();
  });

  it('queues up to maxPlayoutMs, drops and counts the rest, one native call per message', async () => {
    server = await BotServer.start();
    engine = new MediaEngine({ clock: 'manual' });
    const native = (engine as unknown as { native: NativeMediaEngine }).native;
    const session = engine.createPcmSession('call-bound', { botRateHz: 16000, legRateHz: 16000 });
    const options = { ...botConfigSchema.parse({ maxPlayoutMs: MAX_PLAYOUT_MS }), url: server.url };
    connection = botConnectorStarter(options, pino({ level: 'silent' }))(session, { callId: 'call-bound', source: 'sip' });
    const bot = await server.peer();
    await bot.until(() => bot.events.length > 0);
    const before = await counterValue(botMetrics.dropped, { protocol: 'parley', direction: 'from_bot', reason: 'playout_full' });
    const pushes = vi.spyOn(native, 'pushBotAudio');
    const queuedReads = vi.spyOn(native, 'queuedBotSamples');
    // A mark after the audio: placed once every message before it has been applied.
    const marked = new Promise<void>((resolve) => vi.spyOn(session, 'mark').mockImplementation(() => resolve()));
    for (let i = 0; i < SENT_FRAMES; i++) bot.send(Buffer.alloc(FRAME_BYTES, i));
    bot.send({ event: 'mark', name: 'end' });
    await marked;
    const queuedReadsApplying = queuedReads.mock.calls.length;
    const kept = MAX_PLAYOUT_MS / 20;
    expect(connection.stats.framesFromBot).toBe(kept);
    expect(connection.stats.droppedFromBot).toBe(SENT_FRAMES - kept);
    expect(await counterValue(botMetrics.dropped, { protocol: 'parley', direction: 'from_bot', reason: 'playout_full' })).toBe(before + SENT_FRAMES - kept);
    expect(session.queuedMs).toBe(MAX_PLAYOUT_MS);
    expect(pushes).toHaveBeenCalledTimes(SENT_FRAMES);
    // Only the mark asked how much was queued (to tell whether it is reached at once).
    expect(queuedReadsApplying).toBe(1);
  });

  it.each([8000, 16000] as const)('queues each of consecutive media messages as its own audio, in order (%d Hz call)', async (rateHz) => {
    server = await BotServer.start();
    engine = new MediaEngine({ clock: 'manual' });
    const session = engine.createPcmSession('call-order', { botRateHz: rateHz as BotRateHz, legRateHz: rateHz as BotRateHz, echoCancellation: false, bargeIn: false }, frameStartUs(0));
    const options = { ...botConfigSchema.parse({ protocol: 'twilio' }), url: server.url };
    connection = botConnectorStarter(options, pino({ level: 'silent' }))(session, { callId: 'call-order', source: 'sip' });
    const bot = await server.peer();
    await bot.until(() => bot.events.length >= 2);
    const streamSid = bot.events[1]!.streamSid as string;
    const play = session.play.bind(session);
    let plays = 0;
    const played = new Promise<void>((resolve) =>
      vi.spyOn(session, 'play').mockImplementation((pcm, maxQueuedMs) => {
        if (++plays === twilioPayloads.length) resolve();
        return play(pcm, maxQueuedMs);
      }),
    );
    for (const codes of twilioPayloads) bot.send({ event: 'media', streamSid, media: { payload: Buffer.from(codes).toString('base64') } });
    await played;
    // Anything left to run after the last play (nothing should be) runs before the ticks.
    await new Promise(setImmediate);

    const narrow = twilioPayloads.map((codes) => Int16Array.from(codes, (c) => alawmulaw.mulaw.decodeSample(c)));
    const reference = rateHz === 8000 ? undefined : new Resampler(8000, rateHz);
    const expected = narrow.flatMap((pcm) => [...(reference ? reference.process(pcm) : pcm)]);
    const heard: number[] = [];
    for (let frame = 1; heard.length < expected.length && frame < 200; frame++) {
      engine.tick(frameStartUs(frame));
      heard.push(...session.takeOutboundPcm());
    }
    // The last frame is the end of the audio and the playout's filling after it.
    expect(heard.slice(0, expected.length)).toEqual(expected);
  });
});

// Bot audio toward a real media session (manual clock, so nothing plays out meanwhile) over a real
// WebSocket: what would take the playout queue past maxPlayoutMs is dropped and counted, and each
// bot message costs one crossing into native code, its bound checked there.
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { botConfigSchema } from '../../../engine/bot/bot-config.js';
import { botConnectorStarter } from '../../../engine/bot/bot-connector.js';
import { botMetrics } from '../../../engine/bot/bot-metrics.js';
import type { BotConnection } from '../../../engine/bot/bot-connection.js';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import type { NativeMediaEngine } from '../../../engine/media/media-engine-binding.js';
import { counterValue } from '../../support/bot-call.js';
import { BotServer } from '../../support/bot-server.js';

const FRAME_BYTES = 640;
const MAX_PLAYOUT_MS = 1000;
const SENT_FRAMES = 60;

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
});

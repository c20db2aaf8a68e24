import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { botConfigSchema } from '../../../engine/bot/bot-config.js';
import { botConnectorStarter } from '../../../engine/bot/bot-connector.js';
import { botMetrics } from '../../../engine/bot/bot-metrics.js';
import type { BotConnection } from '../../../engine/bot/bot-connection.js';
import { counterValue, tone } from '../../support/bot-call.js';
import { BotServer } from '../../support/bot-server.js';
import { NullMedia } from '../../support/null-media.js';

describe('a bot that stops reading, over a real WebSocket', () => {
  let server: BotServer | undefined;
  let connection: BotConnection | undefined;
  afterEach(async () => {
    connection?.stop('test_over');
    await server?.close();
  });

  it('bounds caller audio by the socket send buffer: frames past maxBufferedMs are dropped and counted, the rest all arrive', async () => {
    server = await BotServer.start();
    const media = new NullMedia('call-slow');
    connection = botConnectorStarter({ ...botConfigSchema.parse({ maxBufferedMs: 400 }), url: server.url }, pino({ level: 'silent' }))(media, { callId: 'call-slow', source: 'sip' });
    const bot = await server.peer();
    await bot.until(() => bot.events.length > 0);
    // The bot stops reading: the kernel's socket buffers fill, then ws's own buffer.
    const tcp = (bot.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    tcp.pause();
    const before = await counterValue(botMetrics.dropped, { protocol: 'parley', direction: 'to_bot', reason: 'backpressure' });
    const frame = tone(16000, 20);
    // 10 minutes of caller audio, faster than real time: far more than the kernel buffers hold.
    const emitted = 30_000;
    for (let i = 0; i < emitted; i++) media.emit('audio', frame);
    const { framesToBot, droppedToBot } = connection.stats;
    expect(droppedToBot).toBeGreaterThan(0);
    expect(framesToBot + droppedToBot).toBe(emitted);
    expect(await counterValue(botMetrics.dropped, { protocol: 'parley', direction: 'to_bot', reason: 'backpressure' })).toBe(before + droppedToBot);
    // Once the bot reads again, every frame that was not counted as dropped reaches it.
    tcp.resume();
    await bot.until(() => bot.audio.length === framesToBot);
    expect(bot.audio.every((message) => message.length === 640)).toBe(true);
  });
});

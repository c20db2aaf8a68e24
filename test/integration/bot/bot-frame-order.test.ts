// Caller frames to a plain (ws://) bot go out in the process's batch at the end of the media tick
// (engine/bot/bot-frame-batch.ts), while a call's events go through ws at once. Over a real
// WebSocket: an event the media raises in the same tick after a frame (speech, DTMF), and the
// call's `stop`, still reach the bot after that frame, as they did when every frame went through ws.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { botConfigSchema } from '../../../engine/bot/bot-config.js';
import { botConnectorStarter } from '../../../engine/bot/bot-connector.js';
import type { BotConnection } from '../../../engine/bot/bot-connection.js';
import { botMetrics } from '../../../engine/bot/bot-metrics.js';
import { counterValue } from '../../support/bot-call.js';
import { BotServer } from '../../support/bot-server.js';
import { NullMedia } from '../../support/null-media.js';

describe('caller frames and events to a plain bot socket', () => {
  let server: BotServer | undefined;
  let connection: BotConnection | undefined;
  afterEach(async () => {
    connection?.stop('test_over');
    await server?.close();
  });

  it('keeps the media order: frames, then the events raised after them in the same tick, then stop', async () => {
    server = await BotServer.start();
    const media = new NullMedia('call-order');
    connection = botConnectorStarter({ ...botConfigSchema.parse({}), url: server.url }, pino({ level: 'silent' }))(media, { callId: 'call-order', source: 'sip' });
    const bot = await server.peer();
    await bot.until(() => bot.events.length > 0);
    const batchedBefore = await counterValue(botMetrics.batched, {});
    // Frame n: distinct samples, so a lost, repeated or reordered frame shows.
    const frameOf = (n: number): Int16Array => Int16Array.from({ length: 320 }, (_, i) => ((n * 7919 + i * 31) % 60000) - 30000);
    const frames: Int16Array[] = [];
    const emit = (): void => {
      const frame = frameOf(frames.length);
      frames.push(frame);
      media.emit('audio', frame);
    };
    const expected = ['start'];
    for (let tick = 0; tick < 20; tick++) {
      // One tick's run of JavaScript: two frames, then an event.
      emit();
      emit();
      if (tick % 2 === 0) media.emit('speechStarted', 100);
      else media.emit('dtmf', '5', 80);
      expected.push('binary', 'binary', tick % 2 === 0 ? 'speech_started' : 'dtmf');
      await new Promise((resolve) => setImmediate(resolve));
    }
    emit();
    connection.stop('caller_hangup');
    expected.push('binary', 'stop');
    // Parley closes the socket after stop: everything it sent is in by then.
    await bot.until(() => bot.closeCode !== undefined);
    expect(bot.sequence).toEqual(expected);
    expect(bot.audio.map((bytes) => new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2))).toEqual(frames);
    // The frames went through the batch, not ws.
    expect((await counterValue(botMetrics.batched, {})) - batchedBefore).toBe(frames.length);
    expect(connection.stats.framesToBot).toBe(frames.length);
  });
});

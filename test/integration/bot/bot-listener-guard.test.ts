// The call media's events reach the bot through BotConnection's guarded listeners: every argument
// of an event passed on (the guard forwards two, the most any event has), and a fault in the
// connector's own handling logged and contained, never thrown back into the media engine, the call
// going on.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { botConfigSchema } from '../../../engine/bot/bot-config.js';
import { botConnectorStarter } from '../../../engine/bot/bot-connector.js';
import type { BotConnection } from '../../../engine/bot/bot-connection.js';
import { ParleyProtocol } from '../../../engine/bot/parley-protocol/parley-protocol.js';
import { recordingLogger } from '../../support/bot-call.js';
import { BotServer } from '../../support/bot-server.js';
import { NullMedia } from '../../support/null-media.js';

describe('bot connection listeners', () => {
  let server: BotServer | undefined;
  let connection: BotConnection | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    connection?.stop('test_over');
    await server?.close();
  });

  it('pass every argument of an event on, and contain a fault in handling one', async () => {
    server = await BotServer.start();
    const { logger, lines } = recordingLogger();
    const media = new NullMedia('call-guard', 16000);
    const options = { ...botConfigSchema.parse({}), url: server.url };
    connection = botConnectorStarter(options, logger)(media, { callId: 'call-guard', source: 'sip' }) as BotConnection;
    const bot = await server.peer();
    await bot.until(() => bot.named('start').length > 0);

    media.emit('dtmf', '7', 120);
    media.emit('turn', 'response', 640);
    await bot.until(() => bot.named('turn').length > 0);
    expect(bot.named('dtmf')[0]).toMatchObject({ digit: '7', durationMs: 120 });
    expect(bot.named('turn')[0]).toMatchObject({ kind: 'response', latencyMs: 640 });

    const frame = new Int16Array(320).fill(900);
    vi.spyOn(ParleyProtocol.prototype, 'callerAudio').mockImplementation(() => {
      throw new Error('connector fault');
    });
    expect(() => media.emit('audio', frame)).not.toThrow();
    const contained = lines.filter((line) => line.msg === 'bot connector error (contained; the call continues)');
    expect(contained).toHaveLength(1);
    expect(contained[0]).toMatchObject({ level: 50, err: { message: 'connector fault' } });

    vi.restoreAllMocks();
    media.emit('audio', frame);
    await bot.until(() => bot.audio.length > 0);
    expect(bot.audio[0]!.readInt16LE(0)).toBe(900);
    expect(connection.stats.framesToBot).toBe(1);
  });
});

// A bot that floods Parley with marks (each answered with a mark event) while it reads nothing:
// the answers must stay within the connection's send budget (dropped and counted past it), and a
// bot that stays stuck past stuckTimeoutMs is given up on with reason `bot_stuck`.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { botConfigSchema } from '../../../engine/bot/bot-config.js';
import type { BotConnection } from '../../../engine/bot/bot-connection.js';
import { botConnectorStarter } from '../../../engine/bot/bot-connector.js';
import { registry } from '../../../engine/metrics.js';
import { tone } from '../../support/bot-call.js';
import { BotServer, type BotPeer } from '../../support/bot-server.js';
import { NullMedia } from '../../support/null-media.js';

// Answers of ~250 bytes each: about 12 MB, far more than loopback's kernel socket buffers hold.
const MARKS = 50_000;

class HangupMedia extends NullMedia {
  readonly hungUp: Promise<string>;
  private resolveHangup!: (reason: string) => void;
  constructor(callId: string) {
    super(callId);
    this.hungUp = new Promise((resolve) => (this.resolveHangup = resolve));
  }
  override hangup(reason: string): void {
    this.resolveHangup(reason);
  }
}

async function refused(reason: string): Promise<number> {
  return (await registry.getSingleMetric('parley_refused_total')!.get()).values.find((v) => v.labels.surface === 'bot' && v.labels.reason === reason)?.value ?? 0;
}

// Polls a counter the connection exposes no event for, with a bounded wait.
async function waitUntil(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function pauseReading(bot: BotPeer): { resume(): void } {
  const tcp = (bot.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
  tcp.pause();
  return tcp;
}

describe('a bot that floods marks and never reads, over a real WebSocket', () => {
  let server: BotServer | undefined;
  let connection: BotConnection | undefined;
  let clock: NodeJS.Timeout | undefined;
  afterEach(async () => {
    clearInterval(clock);
    connection?.stop('test_over');
    await server?.close();
  });

  it(`keeps the answers to ${MARKS} marks within the send budget: the rest are dropped and counted`, async () => {
    server = await BotServer.start();
    const media = new HangupMedia('call-marks');
    connection = botConnectorStarter({ ...botConfigSchema.parse({ maxBufferedMs: 200, stuckTimeoutMs: 120_000 }), url: server.url }, pino({ level: 'silent' }))(media, { callId: 'call-marks', source: 'sip' });
    const bot = await server.peer();
    await bot.until(() => bot.events.length > 0);
    const tcp = pauseReading(bot);
    const before = await refused('event_backpressure');
    const name = 'm'.repeat(200);
    for (let i = 0; i < MARKS; i++) bot.send({ event: 'mark', name });
    const stats = connection.stats;
    await waitUntil(() => stats.eventsToBot + stats.droppedEventsToBot === MARKS);
    expect(stats.droppedEventsToBot).toBeGreaterThan(0);
    expect(await refused('event_backpressure')).toBe(before + stats.droppedEventsToBot);
    // What was not dropped all arrives once the bot reads again: the budget, not loss, bounded it.
    tcp.resume();
    await bot.until(() => bot.named('mark').length === stats.eventsToBot);
  });

  it('gives up on a bot that stays stuck past stuckTimeoutMs: the call ends with bot_stuck', async () => {
    server = await BotServer.start();
    const media = new HangupMedia('call-stuck');
    connection = botConnectorStarter({ ...botConfigSchema.parse({ maxBufferedMs: 200, stuckTimeoutMs: 100 }), url: server.url }, pino({ level: 'silent' }))(media, { callId: 'call-stuck', source: 'sip' });
    const bot = await server.peer();
    await bot.until(() => bot.events.length > 0);
    pauseReading(bot);
    const before = await refused('stuck');
    for (let i = 0; i < MARKS; i++) bot.send({ event: 'mark', name: 'm'.repeat(200) });
    // The call's media clock keeps offering caller audio, as a live call does.
    const frame = tone(16000, 20);
    clock = setInterval(() => media.emit('audio', frame), 20);
    expect(await media.hungUp).toBe('bot_stuck');
    expect(await refused('stuck')).toBe(before + 1);
  });
});

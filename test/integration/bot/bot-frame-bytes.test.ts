// Caller frames reach the bot connection as views on one reused native buffer, and the Parley
// protocol hands them to ws without a copy: ws must take the bytes inside send() (it masks a
// client frame into a buffer of its own, RFC 6455 section 5.3) and leave the frame untouched.
// These hold ws to that, over a real WebSocket, with frames queued behind a bot that is not reading
// (a plain bot's frames now go through the per-tick batch, which copies them: the ws case below
// holds the path wss:// bots and frames behind a stalled stream still take).
import { once } from 'node:events';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { botConfigSchema } from '../../../engine/bot/bot-config.js';
import { botConnectorStarter } from '../../../engine/bot/bot-connector.js';
import type { BotConnection } from '../../../engine/bot/bot-connection.js';
import { TWILIO_SAMPLE_RATE_HZ } from '../../../engine/bot/twilio-media-streams/twilio-messages.js';
import { encodeUlaw } from '../../../engine/native/g711.js';
import { BotServer } from '../../support/bot-server.js';
import { NullMedia } from '../../support/null-media.js';

const FRAME_SAMPLES = 320;
const TWILIO_FRAME_SAMPLES = 160;
const FRAMES = 200;

// Frame n's samples: distinct per frame and per sample, so any mix-up shows.
const sampleOf = (frame: number, i: number): number => ((frame * 7919 + i * 31) % 60000) - 30000;

describe('caller frames sent from a reused buffer', () => {
  let server: BotServer | undefined;
  let connection: BotConnection | undefined;
  afterEach(async () => {
    connection?.stop('test_over');
    await server?.close();
  });

  it.each([
    ['reading', false],
    ['not reading until every frame is sent', true],
  ])('the bot %s gets every frame as it was when emitted, and the buffer is never masked in place', async (_label, paused) => {
    // A bot that accepts permessage-deflate would make ws queue sends for zlib: never offered.
    server = await BotServer.start({ perMessageDeflate: true });
    const media = new NullMedia('call-bytes');
    connection = botConnectorStarter({ ...botConfigSchema.parse({ maxBufferedMs: 10_000 }), url: server.url }, pino({ level: 'silent' }))(media, { callId: 'call-bytes', source: 'sip' });
    const bot = await server.peer();
    await bot.until(() => bot.events.length > 0);
    expect(bot.request.headers['sec-websocket-extensions']).toBeUndefined();
    const tcp = (bot.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    if (paused) tcp.pause();
    // One buffer for every frame, as the media engine hands them over.
    const shared = new Int16Array(FRAME_SAMPLES * 4);
    const frame = shared.subarray(FRAME_SAMPLES, 2 * FRAME_SAMPLES);
    for (let n = 0; n < FRAMES; n++) {
      for (let i = 0; i < FRAME_SAMPLES; i++) frame[i] = sampleOf(n, i);
      media.emit('audio', frame);
      for (let i = 0; i < FRAME_SAMPLES; i++) expect(frame[i]).toBe(sampleOf(n, i));
    }
    expect(connection.stats.framesToBot).toBe(FRAMES);
    if (paused) tcp.resume();
    await bot.until(() => bot.audio.length === FRAMES);
    for (const [n, message] of bot.audio.entries()) {
      const got = new Int16Array(message.buffer, message.byteOffset, message.length / 2);
      expect(Array.from(got)).toEqual(Array.from({ length: FRAME_SAMPLES }, (_, i) => sampleOf(n, i)));
    }
  });

  // Plain bots' frames go through the per-tick batch, which copies them; ws still sends a frame
  // where the batch cannot (a wss:// bot, frames behind a stalled stream), from the same views.
  it('ws itself, sending views of one reused buffer to a bot not reading, delivers every frame as it was', async () => {
    server = await BotServer.start();
    const client = new WebSocket(server.url, { perMessageDeflate: false });
    await once(client, 'open');
    const bot = await server.peer();
    const tcp = (bot.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    tcp.pause();
    const shared = new Int16Array(FRAME_SAMPLES * 4);
    const frame = shared.subarray(FRAME_SAMPLES, 2 * FRAME_SAMPLES);
    for (let n = 0; n < FRAMES; n++) {
      for (let i = 0; i < FRAME_SAMPLES; i++) frame[i] = sampleOf(n, i);
      client.send(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength), { binary: true });
      for (let i = 0; i < FRAME_SAMPLES; i++) expect(frame[i]).toBe(sampleOf(n, i));
      frame.fill(0);
    }
    tcp.resume();
    await bot.until(() => bot.audio.length === FRAMES);
    client.terminate();
    for (const [n, message] of bot.audio.entries()) {
      const got = new Int16Array(message.buffer, message.byteOffset, message.length / 2);
      expect(Array.from(got)).toEqual(Array.from({ length: FRAME_SAMPLES }, (_, i) => sampleOf(n, i)));
    }
  });

  it('a Twilio bot not reading until every frame is sent gets every media message whole, as text', async () => {
    server = await BotServer.start();
    const media = new NullMedia('call-twilio-bytes', TWILIO_SAMPLE_RATE_HZ);
    connection = botConnectorStarter({ ...botConfigSchema.parse({ protocol: 'twilio', maxBufferedMs: 10_000 }), url: server.url }, pino({ level: 'silent' }))(media, { callId: 'call-twilio-bytes', source: 'sip' });
    const bot = await server.peer();
    await bot.until(() => bot.named('start').length > 0);
    const tcp = (bot.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    tcp.pause();
    const frame = new Int16Array(TWILIO_FRAME_SAMPLES);
    for (let n = 0; n < FRAMES; n++) {
      for (let i = 0; i < TWILIO_FRAME_SAMPLES; i++) frame[i] = sampleOf(n, i);
      media.emit('audio', frame);
    }
    expect(connection.stats.framesToBot).toBe(FRAMES);
    tcp.resume();
    await bot.until(() => bot.named('media').length === FRAMES);
    expect(bot.audio).toHaveLength(0);
    for (const [n, message] of bot.named('media').entries()) {
      const { media: body } = message as unknown as { media: { chunk: string; payload: string } };
      expect(body.chunk).toBe(String(n + 1));
      const expected = encodeUlaw(Int16Array.from({ length: TWILIO_FRAME_SAMPLES }, (_, i) => sampleOf(n, i)));
      expect(Buffer.from(body.payload, 'base64')).toEqual(Buffer.from(expected));
    }
  });
});

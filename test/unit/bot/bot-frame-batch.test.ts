// The process's batch of caller frames to plain bot sockets (engine/bot/bot-frame-batch.ts), over
// real WebSockets on 127.0.0.1 (ws's server as the bot), through io_uring and through plain sends:
// frames reach the bot whole and in the order they were given, interleaved with what the
// connection sends through ws itself; a bot that stops reading gets every frame in order once it
// reads again (what the kernel did not take goes on through the socket's stream, and later frames
// through ws behind it); a socket closed between a frame and the batch's send gets nothing and
// breaks nothing.
import type { ClientRequestArgs } from 'node:http';
import type { Socket } from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { BatchedBotSocket, BotFrameBatch } from '../../../engine/bot/bot-frame-batch.js';
import { connectBotSocket } from '../../../engine/bot/bot-socket.js';

// Frame n of a connection: 640 bytes, distinct per frame, so any loss, repeat or reorder shows.
const frameOf = (n: number): Buffer => {
  const frame = Buffer.alloc(640);
  for (let i = 0; i < frame.length; i += 4) frame.writeUInt32LE((n * 1_000_003 + i) >>> 0, i);
  return frame;
};

interface Dropped {
  frames: number;
  reason: string;
}

interface Bot {
  received: Array<Buffer | string>;
  // The server side's TCP socket, to stop and start reading.
  tcp: Socket;
}

let server: WebSocketServer | undefined;
const clients: WebSocket[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate();
  if (server !== undefined) {
    for (const peer of server.clients) peer.terminate();
    await new Promise((resolve) => server!.close(resolve));
  }
  server = undefined;
});

async function connect(count: number): Promise<Array<{ bot: Bot; target: BatchedBotSocket; dropped: Dropped[] }>> {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const bots: Bot[] = [];
  server.on('connection', (socket, request) => {
    const bot: Bot = { received: [], tcp: request.socket };
    bots.push(bot);
    socket.on('message', (data: Buffer, isBinary) => bot.received.push(isBinary ? Buffer.from(data) : data.toString('utf8')));
  });
  const targets: BatchedBotSocket[] = [];
  const drops: Dropped[][] = [];
  for (let i = 0; i < count; i++) {
    let tcp: Socket | undefined;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false, createConnection: (options: ClientRequestArgs) => (tcp = connectBotSocket(options)) });
    clients.push(ws);
    await once(ws, 'open');
    const dropped: Dropped[] = [];
    drops.push(dropped);
    targets.push(new BatchedBotSocket(ws, tcp!, (frames, reason) => dropped.push({ frames, reason })));
  }
  await until(() => bots.length === count);
  return targets.map((target, i) => ({ bot: bots[i]!, target, dropped: drops[i]! }));
}

// Polls between turns of the event loop: the bot's reads arrive as I/O.
async function until(predicate: () => boolean): Promise<void> {
  for (let turns = 0; !predicate(); turns++) {
    if (turns > 200_000) throw new Error('condition not reached');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

// One media tick: the frames are added in one run of JavaScript; the batch goes out at its end.
async function tick(fn: () => void): Promise<void> {
  fn();
  await new Promise((resolve) => setImmediate(resolve));
}

describe.each([
  ['io_uring', false],
  ['plain sends', true],
])('BotFrameBatch (%s)', (_mode, plainSends) => {
  it('sends each connection its frames whole and in order, with what it sends through ws in between', async () => {
    const batch = new BotFrameBatch(plainSends);
    expect(batch.usesIoUring).toBe(!plainSends);
    const calls = await connect(3);
    const expected: Array<Array<Buffer | string>> = calls.map(() => []);
    for (let t = 0; t < 50; t++) {
      await tick(() => {
        calls.forEach(({ target }, c) => {
          // Two frames in a tick for one call (its media caught up after a stall), and a text event
          // between frames of another, sent the way a bot connection sends its events.
          const frames = c === 0 ? 2 : 1;
          for (let f = 0; f < frames; f++) {
            const frame = frameOf(t * 10 + c * 3 + f);
            expect(batch.add(target, frame, true)).toBe(true);
            expected[c]!.push(frame);
          }
          if (c === 1 && t % 5 === 0) {
            batch.flushIfPending(target);
            target.ws.send(`event ${t}`);
            expected[c]!.push(`event ${t}`);
            const after = frameOf(100_000 + t);
            expect(batch.add(target, after, true)).toBe(true);
            expected[c]!.push(after);
          }
        });
      });
    }
    await until(() => calls.every(({ bot }, c) => bot.received.length === expected[c]!.length));
    calls.forEach(({ bot }, c) => expect(bot.received).toEqual(expected[c]));
  });

  it('keeps a bot that stopped reading whole and in order: the rest of a short send, then ws, behind it', async () => {
    const batch = new BotFrameBatch(plainSends);
    const [{ bot, target }] = await connect(1);
    bot.tcp.pause();
    // More than loopback's socket buffers hold (several MB each way).
    const frames = 30_000;
    let viaWs = 0;
    // As a bot connection does: a frame the batch refuses (bytes waiting in the stream) goes
    // through ws, behind them.
    for (let t = 0; t < frames; t += 100) {
      await tick(() => {
        for (let f = t; f < t + 100; f++) {
          if (!batch.add(target, frameOf(f), true)) {
            target.ws.send(frameOf(f), { binary: true });
            viaWs++;
          }
        }
      });
    }
    expect(viaWs).toBeGreaterThan(0);
    expect(viaWs).toBeLessThan(frames);
    bot.tcp.resume();
    await until(() => bot.received.length === frames);
    expect(bot.received.every((frame, n) => Buffer.isBuffer(frame) && frame.equals(frameOf(n)))).toBe(true);
  });

  it('keeps a stalled socket whole and in order when another socket\'s frame comes between two of its own in one tick', async () => {
    const batch = new BotFrameBatch(plainSends);
    const [stalled, reading] = await connect(2);
    stalled!.bot.tcp.pause();
    const frames = 30_000;
    let next = 0;
    let other = 0;
    const send = (target: BatchedBotSocket, frame: Buffer): void => {
      if (!batch.add(target, frame, true)) target.ws.send(frame, { binary: true });
    };
    // Each tick: a frame of the stalled socket, one of the other, another of the stalled: the
    // third forces the batch out, and once the stalled socket's stream holds the rest of a short
    // send, its next frames must go behind it.
    while (next < frames) {
      await tick(() => {
        for (let i = 0; i < 50; i++) {
          send(stalled!.target, frameOf(next++));
          send(reading!.target, frameOf(other++));
          send(stalled!.target, frameOf(next++));
        }
      });
    }
    stalled!.bot.tcp.resume();
    await until(() => stalled!.bot.received.length === frames && reading!.bot.received.length === other);
    expect(stalled!.bot.received.every((frame, n) => Buffer.isBuffer(frame) && frame.equals(frameOf(n)))).toBe(true);
    expect(reading!.bot.received.every((frame, n) => Buffer.isBuffer(frame) && frame.equals(frameOf(n)))).toBe(true);
  });

  it('sends nothing to a socket closed after its frame was queued and gives the frame back as dropped; the other sockets still get theirs', async () => {
    const batch = new BotFrameBatch(plainSends);
    const [closed, open] = await connect(2);
    await tick(() => {
      expect(batch.add(closed!.target, frameOf(1), true)).toBe(true);
      expect(batch.add(open!.target, frameOf(2), true)).toBe(true);
      closed!.target.ws.terminate();
    });
    expect(batch.add(closed!.target, frameOf(3), true)).toBe(false);
    await until(() => open!.bot.received.length === 1);
    expect(open!.bot.received[0]).toEqual(frameOf(2));
    expect(closed!.bot.received).toEqual([]);
    // Its frame is given back as dropped (the connection counts it so), the other's is not.
    expect(closed!.dropped).toEqual([{ frames: 1, reason: 'not_connected' }]);
    expect(open!.dropped).toEqual([]);
  });
});

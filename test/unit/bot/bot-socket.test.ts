import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectBotSocket } from '../../../engine/bot/bot-socket.js';

// Over the shared read buffer's 64 KB many times, so chunks follow each other through it.
const PAYLOAD_BYTES = 8 * 1024 * 1024;

let server: Server | undefined;
afterEach(() => server?.close());

// A server on 127.0.0.1 that writes `payload` to its first client and ends.
async function serving(payload: Buffer): Promise<number> {
  server = createServer((peer) => peer.end(payload));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

// As ws hands its createConnection the HTTP request's options: `path` is the request's.
function dial(port: number): Socket {
  return connectBotSocket({ host: '127.0.0.1', port, path: '/bot?callId=c1' });
}

function digest(chunks: Buffer[]): string {
  const hash = createHash('sha256');
  for (const chunk of chunks) hash.update(chunk);
  return hash.digest('hex');
}

const turns = async (count: number): Promise<void> => {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('bot socket (reads into one shared buffer)', () => {
  it('delivers every byte in order, each chunk its own copy kept intact after later reads', async () => {
    const payload = randomBytes(PAYLOAD_BYTES);
    const socket = dial(await serving(payload));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    await once(socket, 'end');
    // Held until the end, as ws holds a chunk ending inside a frame: a view of the shared buffer
    // would have been overwritten by the reads after it.
    expect(chunks.length).toBeGreaterThan(PAYLOAD_BYTES / (64 * 1024));
    expect(chunks.reduce((sum, chunk) => sum + chunk.length, 0)).toBe(PAYLOAD_BYTES);
    expect(digest(chunks)).toBe(digest([payload]));
    socket.destroy();
  });

  it('stops reading while paused and goes on when resumed', async () => {
    const payload = randomBytes(PAYLOAD_BYTES);
    const socket = dial(await serving(payload));
    const chunks: Buffer[] = [];
    let whilePaused = 0;
    socket.on('data', (chunk: Buffer) => {
      if (socket.isPaused()) whilePaused++;
      chunks.push(chunk);
      if (chunks.length === 1) socket.pause();
    });
    await once(socket, 'pause');
    // The server has megabytes queued: reads still running would deliver within these turns.
    await turns(50);
    expect(chunks.length).toBe(1);
    socket.resume();
    await once(socket, 'end');
    expect(whilePaused).toBe(0);
    expect(digest(chunks)).toBe(digest([payload]));
    socket.destroy();
  });

  it('reads for every connection through the one buffer without mixing them up', async () => {
    const payloads = [randomBytes(PAYLOAD_BYTES / 4), randomBytes(PAYLOAD_BYTES / 4)];
    let next = 0;
    server = createServer((peer) => peer.end(payloads[next++]));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    const received = await Promise.all(
      payloads.map(async () => {
        const socket = dial(port);
        const chunks: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        await once(socket, 'end');
        socket.destroy();
        return digest(chunks);
      }),
    );
    expect(received.sort()).toEqual(payloads.map((payload) => digest([payload])).sort());
  });
});

import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { connectBotSocket, READ_BYTES } from '../../../engine/bot/bot-socket.js';

// Over the shared read buffer many times, so chunks follow each other through it.
const PAYLOAD_BYTES = 128 * READ_BYTES;

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

  it('carries a WebSocket whose first frame comes in the same read as the upgrade answer', async () => {
    // The HTTP client's leftover bytes after the 101 go back to the socket for ws to read.
    server = createServer((peer) => {
      peer.once('data', (request: Buffer) => {
        const key = /sec-websocket-key: (\S+)/i.exec(request.toString('latin1'))![1]!;
        const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
        const hello = Buffer.from('hello');
        const frame = Buffer.concat([Buffer.from([0x81, hello.length]), hello]);
        peer.write(Buffer.concat([Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`), frame]));
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/bot?callId=c1`, { createConnection: connectBotSocket });
    const [message, isBinary] = (await once(client, 'message')) as [Buffer, boolean];
    expect([message.toString(), isBinary]).toEqual(['hello', false]);
    client.terminate();
  });

  it('ends a refused upgrade with an error and a close, nothing thrown', async () => {
    server = createServer((peer) => peer.once('data', () => peer.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: nonsense\r\nConnection: Upgrade\r\n\r\n')));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`, { createConnection: connectBotSocket });
    const events: string[] = [];
    client.on('error', (error) => events.push(`error: ${error.message}`));
    // Not events.once: it rejects on the 'error' this test waits through.
    await new Promise((resolve) => client.on('close', resolve));
    expect(events).toEqual(['error: Invalid Upgrade header']);
  });
});

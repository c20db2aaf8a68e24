// The public HTTP listener against the classic attacks beyond malformed URLs: oversized headers
// are refused by uWebSockets.js with 431 and the connection closed; a request that never finishes
// its headers (slowloris) is closed by the server's idle timeout; the node keeps serving others.
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startApi, type ApiHarness } from '../../support/api-harness.js';

const refuseGateway = { connect: () => Promise.reject(new Error('no media in this test')) };
const noBot = () => ({ stop: () => undefined });

async function rawRequest(port: number, text: string): Promise<{ socket: Socket; response: Promise<string> }> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.on('error', () => undefined);
  let received = '';
  socket.on('data', (data) => (received += data.toString('latin1')));
  // Not once(socket, 'close'): that rejects on the EPIPE of a write the server refused mid-way.
  const response = new Promise<string>((resolve) => socket.on('close', () => resolve(received)));
  socket.write(text);
  return { socket, response };
}

describe('the public HTTP listener under abuse', () => {
  let api: ApiHarness | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  it('answers 1 MB and 20 MB of headers with 431 and closes, then serves the next request', async () => {
    api = await startApi({ gateway: refuseGateway, startBot: noBot });
    for (const bytes of [1_000_000, 20_000_000]) {
      const { response } = await rawRequest(api.port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(bytes)}\r\n\r\n`);
      expect(await response).toMatch(/^HTTP\/1\.1 431 /);
    }
    expect((await fetch(`${api.baseUrl}/`)).status).toBe(200);
  });

  it('closes a connection whose headers never end (slowloris), while serving others', async () => {
    api = await startApi({ gateway: refuseGateway, startBot: noBot });
    const { response } = await rawRequest(api.port, 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n');
    expect((await fetch(`${api.baseUrl}/`)).status).toBe(200);
    // uWebSockets.js closes an HTTP connection idle for about 10 s; nothing was answered.
    expect(await response).toBe('');
  });
});

import { once } from 'node:events';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { requestGrant, startApi, TEST_ORIGIN, type ApiHarness } from '../../support/api-harness.js';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';
const refuseGateway = { connect: () => Promise.reject(new Error('no media in this test')) };
const noBot = () => ({ stop: () => undefined });

async function upgradeStatus(url: string, origin = TEST_ORIGIN): Promise<{ status: number; body: string } | WebSocket> {
  const socket = new WebSocket(url, { headers: { origin } });
  return new Promise((resolve) => {
    socket.on('open', () => resolve(socket));
    socket.on('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
  });
}

async function nextMessage(socket: WebSocket): Promise<Record<string, unknown>> {
  const [data] = (await once(socket, 'message')) as [Buffer];
  return JSON.parse(data.toString()) as Record<string, unknown>;
}

describe('WS /v1/signal', () => {
  let api: ApiHarness | undefined;
  const sockets: WebSocket[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.terminate();
    await api?.close();
    api = undefined;
  });

  const grantToken = async (): Promise<string> => (await requestGrant(api!.baseUrl)).body.token as string;

  it('refuses a missing, tampered or expired token', async () => {
    api = await startApi({ gateway: refuseGateway, startBot: noBot });
    expect(await upgradeStatus(`${api.wsUrl}/v1/signal`)).toMatchObject({ status: 401 });
    const token = await grantToken();
    const tampered = token.slice(0, -3) + (token.endsWith('aaa') ? 'bbb' : 'aaa');
    const refusedTampered = await upgradeStatus(`${api.wsUrl}/v1/signal?token=${tampered}`);
    expect(refusedTampered).toMatchObject({ status: 401 });
    expect(JSON.parse((refusedTampered as { body: string }).body).error).toBe('token_invalid');
    const expired = await new SignJWT({ origin: TEST_ORIGIN, ip: '127.0.0.1', purpose: 'signal' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('parley')
      .setAudience('parley-signal')
      .setJti('00000000-0000-4000-8000-000000000000')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 120)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(SECRET));
    const refusedExpired = await upgradeStatus(`${api.wsUrl}/v1/signal?token=${expired}`);
    expect(JSON.parse((refusedExpired as { body: string }).body).error).toBe('token_expired');
  });

  it('accepts a token once and refuses its replay', async () => {
    api = await startApi({ gateway: refuseGateway, startBot: noBot });
    const token = await grantToken();
    const first = await upgradeStatus(`${api.wsUrl}/v1/signal?token=${token}`);
    expect(first).toBeInstanceOf(WebSocket);
    sockets.push(first as WebSocket);
    const replay = await upgradeStatus(`${api.wsUrl}/v1/signal?token=${token}`);
    expect(JSON.parse((replay as { body: string }).body).error).toBe('token_used');
  });

  it('refuses a token presented from another origin', async () => {
    api = await startApi({ gateway: refuseGateway, startBot: noBot });
    const token = await grantToken();
    const refused = await upgradeStatus(`${api.wsUrl}/v1/signal?token=${token}`, 'https://evil.example');
    expect(JSON.parse((refused as { body: string }).body).error).toBe('origin_mismatch');
  });

  it('rejects malformed and oversized messages with an error and keeps the socket open', async () => {
    api = await startApi({ gateway: refuseGateway, startBot: noBot });
    const socket = (await upgradeStatus(`${api.wsUrl}/v1/signal?token=${await grantToken()}`)) as WebSocket;
    sockets.push(socket);
    socket.send('{not json');
    expect(await nextMessage(socket)).toMatchObject({ type: 'error', error: 'bad_json' });
    socket.send(JSON.stringify({ type: 'teleport' }));
    expect(await nextMessage(socket)).toMatchObject({ type: 'error', error: 'bad_message' });
    socket.send(Buffer.from([1, 2, 3]));
    expect(await nextMessage(socket)).toMatchObject({ type: 'error', error: 'bad_frame' });
    socket.send(JSON.stringify({ type: 'offer', sdp: 'v=0' }));
    expect(await nextMessage(socket)).toMatchObject({ type: 'error', error: 'connect_failed' });
    const closed = once(socket, 'close');
    socket.send(JSON.stringify({ type: 'offer', sdp: 'x'.repeat(200_000) }));
    // Over the payload limit the server drops the socket rather than read it (uWS closes it
    // without a close frame: 1006 on this side; 1009 from servers that send one).
    const [code] = (await closed) as [number];
    expect([1006, 1009]).toContain(code);
  });

  it('records diagnostics sent by the browser', async () => {
    api = await startApi({ gateway: refuseGateway, startBot: noBot });
    const socket = (await upgradeStatus(`${api.wsUrl}/v1/signal?token=${await grantToken()}`)) as WebSocket;
    sockets.push(socket);
    socket.send(JSON.stringify({ type: 'diagnostics', diagnostics: { iceStates: [{ state: 'connected', atMs: 120 }], selectedCandidateType: 'relay', roundTripTimeMs: 12 } }));
    socket.send('{not json');
    await nextMessage(socket);
    expect(api.diagnostics.recent()).toHaveLength(1);
    expect(api.diagnostics.recent()[0]!.diagnostics.selectedCandidateType).toBe('relay');
  });
});

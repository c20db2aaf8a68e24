import { once } from 'node:events';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { MemoryCallLimits } from '../../../api/limits/memory-call-limits.js';
import type { BrowserGateway, RemoteCallLeg } from '../../../api/signaling/browser-gateway.js';
import { openSignalSession, requestGrant, startApi, TEST_ORIGIN, type ApiHarness } from '../../support/api-harness.js';

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

// A gateway whose legs answer at once (or when `open()` is called, while `hold()` is on): the
// media is not the point here, the call budget is. Records each leg and how it was closed.
function answeringGateway() {
  const legs: Array<{ closedWith?: string }> = [];
  let gate: Promise<void> = Promise.resolve();
  let open: () => void = () => undefined;
  const gateway: BrowserGateway = {
    callMediaOptions: true,
    connect: async () => {
      await gate;
      let settle: (reason: string) => void = () => undefined;
      const record: { closedWith?: string } = {};
      legs.push(record);
      const leg: RemoteCallLeg = {
        answerSdp: 'v=0\r\ns=double\r\n',
        ended: new Promise<string>((resolve) => (settle = resolve)),
        close: async (reason) => {
          record.closedWith = reason;
          settle(reason);
        },
      };
      return leg;
    },
  };
  return {
    gateway,
    legs,
    hold: () => (gate = new Promise<void>((resolve) => (open = resolve))),
    open: () => open(),
  };
}

const OFFER = JSON.stringify({ type: 'offer', sdp: 'v=0' });
const HANGUP = JSON.stringify({ type: 'hangup' });

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

  describe('a call starts only while its reservation is held', () => {
    it('refuses the offer after a hangup, so a per-IP limit of 1 never carries 2 calls', async () => {
      const doubles = answeringGateway();
      api = await startApi({ gateway: doubles.gateway, startBot: noBot, limits: { perIpActive: 1, perIpPerHour: 100 } });
      for (let round = 0; round < 3; round++) {
        const s = await openSignalSession(api);
        sockets.push(s.socket);
        s.socket.send(HANGUP);
        expect(await s.next('ended')).toEqual({ type: 'ended', reason: 'caller_hangup' });
        s.socket.send(OFFER);
        expect(await s.next('error')).toMatchObject({ error: 'reservation_ended' });
        expect(s.messages.filter((m) => m.type === 'answer')).toEqual([]);
      }
      expect(doubles.legs).toHaveLength(0);
      // The budget was freed, not leaked: one call starts, and holds the address's only slot.
      const live = await openSignalSession(api);
      sockets.push(live.socket);
      live.socket.send(OFFER);
      await live.next('answer');
      expect((await requestGrant(api.baseUrl)).body.error).toBe('ip_busy');
    });

    it('refuses the offers of sessions that hung up first, so a global cap of 2 never carries 4 calls', async () => {
      const doubles = answeringGateway();
      api = await startApi({ gateway: doubles.gateway, startBot: noBot, limits: { perIpActive: 10, perIpPerHour: 100, globalActive: 2 } });
      const early = [await openSignalSession(api), await openSignalSession(api)];
      for (const s of early) {
        sockets.push(s.socket);
        s.socket.send(HANGUP);
        await s.next('ended');
      }
      const late = [await openSignalSession(api), await openSignalSession(api)];
      sockets.push(...late.map((s) => s.socket));
      for (const s of [...early, ...late]) s.socket.send(OFFER);
      for (const s of late) await s.next('answer');
      for (const s of early) expect(await s.next('error')).toMatchObject({ error: 'reservation_ended' });
      expect(doubles.legs).toHaveLength(2);
      expect((await requestGrant(api.baseUrl)).body.error).toBe('global_cap');
    });

    it('closes a leg that connected after the caller hung up during the offer', async () => {
      const doubles = answeringGateway();
      api = await startApi({ gateway: doubles.gateway, startBot: noBot, limits: { perIpActive: 1, perIpPerHour: 100 } });
      const s = await openSignalSession(api);
      sockets.push(s.socket);
      doubles.hold();
      s.socket.send(OFFER);
      s.socket.send(HANGUP);
      await s.next('ended');
      // The hangup freed the slot: the address may start another call.
      const next = await openSignalSession(api);
      sockets.push(next.socket);
      doubles.open();
      expect(await s.next('error')).toMatchObject({ error: 'reservation_ended' });
      expect(s.messages.filter((m) => m.type === 'answer')).toEqual([]);
      expect(doubles.legs).toEqual([{ closedWith: 'reservation_ended' }]);
      next.socket.send(OFFER);
      await next.next('answer');
      expect(doubles.legs).toHaveLength(2);
    });

    it('refuses the offer once the reservation has expired in the store', async () => {
      const doubles = answeringGateway();
      const clock = { offsetMs: 0 };
      const limits = new MemoryCallLimits({ perIpActive: 1, perIpPerHour: 100, globalActive: 50 }, () => Date.now() + clock.offsetMs);
      api = await startApi({ gateway: doubles.gateway, startBot: noBot, callLimits: limits });
      const idle = await openSignalSession(api);
      sockets.push(idle.socket);
      // Past the call's maximum duration: the store has let the slot go, another call may take it.
      clock.offsetMs = 301_000;
      expect(await limits.reserve('127.0.0.1', 'another-session', Date.now() + clock.offsetMs + 60_000)).toEqual({ ok: true });
      idle.socket.send(OFFER);
      expect(await idle.next('error')).toMatchObject({ error: 'reservation_ended' });
      expect(doubles.legs).toHaveLength(0);
    });

    it('refuses the upgrade of a grant whose reservation expired first', async () => {
      const clock = { offsetMs: 0 };
      const limits = new MemoryCallLimits({ perIpActive: 1, perIpPerHour: 100, globalActive: 50 }, () => Date.now() + clock.offsetMs);
      api = await startApi({ gateway: answeringGateway().gateway, startBot: noBot, callLimits: limits });
      const token = await grantToken();
      clock.offsetMs = 61_000; // past the grant's 60 s reservation; the token's own expiry is checked by the clock of its signer
      const refused = await upgradeStatus(`${api.wsUrl}/v1/signal?token=${token}`);
      expect(refused).toMatchObject({ status: 410 });
      expect(JSON.parse((refused as { body: string }).body).error).toBe('reservation_ended');
    });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { RedisSessionRecords } from '../../../api/grants/redis-session-records.js';
import { RedisCallLimits } from '../../../api/limits/redis-call-limits.js';
import { requestGrant, startApi, TEST_ORIGIN, type ApiHarness } from '../../support/api-harness.js';
import { startRedis, type RedisHandle } from '../../support/redis-server.js';

const refuseGateway = { connect: () => Promise.reject(new Error('no media in this test')) };
const noBot = () => ({ stop: () => undefined });

describe('two API nodes sharing Redis', () => {
  let redis: RedisHandle;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  async function twoNodes(limits: { perIpActive: number; perIpPerHour: number; globalActive: number }): Promise<[ApiHarness, ApiHarness]> {
    await redis.client().flushall();
    const node = () =>
      startApi({ gateway: refuseGateway, startBot: noBot, callLimits: new RedisCallLimits(redis.client(), limits), records: new RedisSessionRecords(redis.client()) });
    return [await node(), await node()];
  }

  it('enforce one per-IP budget: a second grant on the other node is refused', async () => {
    const [a, b] = await twoNodes({ perIpActive: 1, perIpPerHour: 3, globalActive: 50 });
    try {
      expect((await requestGrant(a.baseUrl)).status).toBe(201);
      const refused = await requestGrant(b.baseUrl);
      expect(refused.status).toBe(429);
      expect(refused.body.error).toBe('ip_busy');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('enforce one hourly budget and one global cap across nodes', async () => {
    const [a, b] = await twoNodes({ perIpActive: 10, perIpPerHour: 3, globalActive: 50 });
    try {
      expect((await requestGrant(a.baseUrl)).status).toBe(201);
      expect((await requestGrant(b.baseUrl)).status).toBe(201);
      expect((await requestGrant(a.baseUrl)).status).toBe(201);
      expect((await requestGrant(b.baseUrl)).body.error).toBe('ip_hourly');
    } finally {
      await a.close();
      await b.close();
    }
    const [c, d] = await twoNodes({ perIpActive: 10, perIpPerHour: 10, globalActive: 1 });
    try {
      expect((await requestGrant(c.baseUrl)).status).toBe(201);
      expect((await requestGrant(d.baseUrl)).body.error).toBe('global_cap');
    } finally {
      await c.close();
      await d.close();
    }
  });

  it('consume a token once across nodes: a replay on the other node is refused', async () => {
    const [a, b] = await twoNodes({ perIpActive: 1, perIpPerHour: 3, globalActive: 50 });
    try {
      const token = (await requestGrant(a.baseUrl)).body.token as string;
      const open = (url: string) =>
        new Promise<number>((resolve) => {
          const socket = new WebSocket(url, { headers: { origin: TEST_ORIGIN } });
          socket.on('open', () => {
            socket.terminate();
            resolve(101);
          });
          socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
        });
      expect(await open(`${b.wsUrl}/v1/signal?token=${token}`)).toBe(101);
      expect(await open(`${a.wsUrl}/v1/signal?token=${token}`)).toBe(401);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('extend a reservation only while it is held: not once released, not once past its end', async () => {
    await redis.client().flushall();
    const clock = { nowMs: Date.now() };
    const limits = new RedisCallLimits(redis.client(), { perIpActive: 1, perIpPerHour: 100, globalActive: 50 }, () => clock.nowMs);
    expect(await limits.reserve('198.51.100.1', 's1', clock.nowMs + 60_000)).toEqual({ ok: true });
    expect(await limits.extend('198.51.100.1', 's1', clock.nowMs + 300_000)).toBe(true);
    await limits.release('198.51.100.1', 's1');
    expect(await limits.extend('198.51.100.1', 's1', clock.nowMs + 300_000)).toBe(false);
    // A released reservation is not brought back by the extension that failed.
    expect(await limits.reserve('198.51.100.1', 's2', clock.nowMs + 60_000)).toEqual({ ok: true });
    clock.nowMs += 60_001;
    expect(await limits.extend('198.51.100.1', 's2', clock.nowMs + 300_000)).toBe(false);
    expect(await limits.extend('198.51.100.1', 'never-reserved', clock.nowMs + 300_000)).toBe(false);
  });
});

import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { requestGrant, startApi, TEST_ORIGIN, type ApiHarness } from '../../support/api-harness.js';

const refuseGateway = { connect: () => Promise.reject(new Error('no media in this test')) };
const noBot = () => ({ stop: () => undefined });

describe('POST /v1/sessions', () => {
  let api: ApiHarness | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  it('refuses an origin that is not on the allowlist, without CORS headers', async () => {
    api = await startApi({ gateway: refuseGateway, startBot: noBot });
    const { status, headers, body } = await requestGrant(api.baseUrl, 'https://evil.example');
    expect(status).toBe(403);
    expect(body.error).toBe('origin_not_allowed');
    expect(headers.get('access-control-allow-origin')).toBeNull();
  });

  it('grants a signed token and coturn REST credentials that verify with the shared secret', async () => {
    api = await startApi({
      gateway: refuseGateway,
      startBot: noBot,
      grant: { turnSecret: 'coturn-shared-secret', turnUrls: ['turn:127.0.0.1:3478?transport=udp'], stunUrls: ['stun:127.0.0.1:3478'] },
    });
    const { status, headers, body } = await requestGrant(api.baseUrl);
    expect(status).toBe(201);
    expect(headers.get('access-control-allow-origin')).toBe(TEST_ORIGIN);
    const check = await api.tokens.verify(body.token as string);
    expect(check.ok).toBe(true);
    const servers = body.iceServers as Array<{ urls: string[]; username?: string; credential?: string }>;
    const turn = servers.find((server) => server.username !== undefined)!;
    const [expiry] = turn.username!.split(':');
    expect(Number(expiry)).toBeGreaterThan(Date.now() / 1000 + 500);
    expect(turn.credential).toBe(createHmac('sha1', 'coturn-shared-secret').update(turn.username!).digest('base64'));
    expect(JSON.stringify(body)).not.toContain('coturn-shared-secret');
  });

  it('takes the call\'s own echo cancellation from the request and refuses any other body with 400', async () => {
    api = await startApi({ gateway: refuseGateway, startBot: noBot, limits: { perIpActive: 10, perIpPerHour: 10 } });
    for (const accepted of ['', '{}', '{"echoCancellation":true}', '{"echoCancellation":false}']) {
      expect((await requestGrant(api.baseUrl, TEST_ORIGIN, accepted)).status, accepted).toBe(201);
    }
    for (const refused of ['{"echoCancellation":"yes"}', '{"echoCancelation":true}', '[]', 'not json']) {
      const { status, body, headers } = await requestGrant(api.baseUrl, TEST_ORIGIN, refused);
      expect(status, refused).toBe(400);
      expect(body.error, refused).toBe('bad_request');
      expect(headers.get('access-control-allow-origin'), refused).toBe(TEST_ORIGIN);
    }
  });

  it('refuses a call\'s own echo cancellation where its media is made behind Janus, and grants without it', async () => {
    api = await startApi({ gateway: refuseGateway, startBot: noBot, grant: { callMediaOptions: false } });
    const { status, body } = await requestGrant(api.baseUrl, TEST_ORIGIN, '{"echoCancellation":true}');
    expect(status).toBe(400);
    expect(body.error).toBe('option_unsupported');
    expect((await requestGrant(api.baseUrl)).status).toBe(201);
  });

  it('allows one pending call per IP and answers the next with 429 and Retry-After', async () => {
    api = await startApi({ gateway: refuseGateway, startBot: noBot });
    expect((await requestGrant(api.baseUrl)).status).toBe(201);
    const second = await requestGrant(api.baseUrl);
    expect(second.status).toBe(429);
    expect(second.body.error).toBe('ip_busy');
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('enforces the hourly budget per IP', async () => {
    api = await startApi({ gateway: refuseGateway, startBot: noBot, limits: { perIpActive: 10, perIpPerHour: 3 } });
    for (let i = 0; i < 3; i++) expect((await requestGrant(api.baseUrl)).status).toBe(201);
    const fourth = await requestGrant(api.baseUrl);
    expect(fourth.status).toBe(429);
    expect(fourth.body.error).toBe('ip_hourly');
    expect(Number(fourth.headers.get('retry-after'))).toBeGreaterThan(3000);
  });

  it('enforces the global cap with 503', async () => {
    api = await startApi({ gateway: refuseGateway, startBot: noBot, limits: { perIpActive: 10, perIpPerHour: 10, globalActive: 2 } });
    expect((await requestGrant(api.baseUrl)).status).toBe(201);
    expect((await requestGrant(api.baseUrl)).status).toBe(201);
    const third = await requestGrant(api.baseUrl);
    expect(third.status).toBe(503);
    expect(third.body.error).toBe('global_cap');
  });

  it('refuses an oversized body', async () => {
    api = await startApi({ gateway: refuseGateway, startBot: noBot });
    const response = await fetch(`${api.baseUrl}/v1/sessions`, { method: 'POST', headers: { origin: TEST_ORIGIN }, body: 'x'.repeat(100_000) });
    expect(response.status).toBe(413);
  });
});

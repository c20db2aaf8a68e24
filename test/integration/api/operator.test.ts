// The operator listener: /metrics, /healthz and the admin view live on their own port and nowhere
// on the public one; /healthz reflects the dependencies; the admin token is taken from the
// Authorization header only; a malformed URL is a 400 on every listener.
import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { tcpReachable } from '../../../api/health.js';
import { NodeHttpServer } from '../../../api/http/node-http-server.js';
import { ADMIN_TOKEN, requestGrant, startApi, type ApiHarness } from '../../support/api-harness.js';

const refuseGateway = { connect: () => Promise.reject(new Error('no media in this test')) };
const noBot = () => ({ stop: () => undefined });

describe('the operator listener', () => {
  let api: ApiHarness | undefined;
  let server: Server | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
    server?.close();
    server = undefined;
  });

  it('serves metrics, health and the admin view on its own port, and none of them on the public port', async () => {
    api = await startApi({ gateway: refuseGateway, startBot: noBot });
    await requestGrant(api.baseUrl, 'https://evil.example');
    for (const path of ['/metrics', '/healthz', '/admin/calls', '/admin.html']) {
      expect({ path, status: (await fetch(`${api.baseUrl}${path}`)).status }).toEqual({ path, status: 404 });
    }
    expect((await fetch(`${api.baseUrl}/`)).status).toBe(200);
    const metrics = await (await fetch(`${api.operatorUrl}/metrics`)).text();
    expect(metrics).toMatch(/parley_grants_total\{outcome="origin_not_allowed"\} [1-9]/);
    expect(await (await fetch(`${api.operatorUrl}/healthz`)).json()).toEqual({ status: 'ok', checks: {}, calls: 0 });
    const page = await fetch(`${api.operatorUrl}/admin.html`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('authorization');
    expect((await fetch(`${api.operatorUrl}/index.html`)).status).toBe(404);
  });

  it('takes the admin token from the Authorization header only, never the query string', async () => {
    api = await startApi({ gateway: refuseGateway, startBot: noBot });
    expect((await fetch(`${api.operatorUrl}/admin/calls`)).status).toBe(401);
    expect((await fetch(`${api.operatorUrl}/admin/calls?token=${ADMIN_TOKEN}`)).status).toBe(401);
    expect((await fetch(`${api.operatorUrl}/admin/calls`, { headers: { authorization: 'Bearer wrong-token-of-some-length' } })).status).toBe(401);
    const admin = await fetch(`${api.operatorUrl}/admin/calls`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(admin.status).toBe(200);
    expect(await admin.json()).toMatchObject({ calls: [] });
  });

  it('answers 503 from /healthz when a dependency fails, and while draining', async () => {
    api = await startApi({ gateway: refuseGateway, startBot: noBot });
    let redisReady = true;
    api.health.add('redis', () => redisReady);
    api.health.add('janus', () => Promise.reject(new Error('probe exploded')));
    const failing = await fetch(`${api.operatorUrl}/healthz`);
    expect(failing.status).toBe(503);
    expect(await failing.json()).toEqual({ status: 'failing', checks: { redis: true, janus: false }, calls: 0 });
    redisReady = false;
    api.health.startDraining();
    const draining = await fetch(`${api.operatorUrl}/healthz`);
    expect(draining.status).toBe(503);
    expect(await draining.json()).toMatchObject({ status: 'draining', checks: { redis: false } });
  });

  it('probes a TCP dependency: reachable while it listens, unreachable once it is gone', async () => {
    server = createServer((socket) => socket.destroy());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    expect(await tcpReachable(`ws://127.0.0.1:${port}`)()).toBe(true);
    server.close();
    await once(server, 'close');
    server = undefined;
    // A fresh probe (results are cached per probe for a few seconds).
    expect(await tcpReachable(`ws://127.0.0.1:${port}`)()).toBe(false);
  });

  it('answers a malformed % escape with 400 on both listeners and on the node:http server', async () => {
    api = await startApi({ gateway: refuseGateway, startBot: noBot });
    for (const url of [`${api.baseUrl}/%E0%A4%A`, `${api.baseUrl}/web/%ZZ.js`, `${api.operatorUrl}/%`, `${api.baseUrl}/v1/sessions%`]) {
      expect({ url, status: (await fetch(url)).status }).toEqual({ url, status: 400 });
    }
    await api.close();
    api = await startApi({ gateway: refuseGateway, startBot: noBot, http: new NodeHttpServer() });
    expect((await fetch(`${api.baseUrl}/%E0%A4%A`)).status).toBe(400);
    expect((await fetch(`${api.baseUrl}/index.html`)).status).toBe(200);
  });
});

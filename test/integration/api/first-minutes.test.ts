// A developer's first minutes with an embedded node on its defaults, from 127.0.0.1: call after
// call with no hourly lockout, a second tab told exactly why and that the slot frees when the
// first call ends, and the per-address limit still held on loopback.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema, loadConfig } from '../../../api/config.js';
import { startNode, type RunningNode } from '../../../api/node.js';
import { requestGrant, startApi, type ApiHarness } from '../../support/api-harness.js';
import { grant, offerForAnswer, step } from '../../support/signal-client.js';
import { WeriftBrowser } from '../../support/werift-browser.js';

// werift needs an explicit ICE server list; this one is local and unused (host candidates suffice).
const LOCAL_ONLY_ICE = [{ urls: 'stun:127.0.0.1:9' }];

describe('the first minutes of a developer on an embedded node', () => {
  let node: RunningNode | undefined;
  let api: ApiHarness | undefined;
  afterEach(async () => {
    await node?.shutdown(0);
    await api?.close();
    node = undefined;
    api = undefined;
  });

  it('has no hourly cap by default in embedded mode; public modes keep one, and a configured cap holds everywhere', () => {
    expect(loadConfig({}).limits).toEqual({ perIpActive: 1, globalActive: 50, perIpPerHour: undefined });
    expect(loadConfig({ PARLEY_LIMIT_PER_IP_PER_HOUR: '5' }).limits.perIpPerHour).toBe(5);
    expect(loadConfig({ PARLEY_MODE: 'direct', PARLEY_JANUS_TOKEN_SECRET: 'janus-secret-0123456789' }).limits.perIpPerHour).toBe(3);
  });

  it('calls again and again from 127.0.0.1; a second call meanwhile is told it can start as soon as the first ends', async () => {
    node = await startNode(configSchema.parse({ logLevel: 'silent', api: { port: 0 }, operator: { port: 0 } }), pino({ level: 'silent' }));
    // More calls than the old hourly cap of 3, one after another.
    for (let round = 0; round < 4; round++) {
      const { token } = await grant(node, node.url);
      const browser = new WeriftBrowser(LOCAL_ONLY_ICE);
      try {
        const { signal } = await offerForAnswer(node, node.url, token, await browser.offer(), `call ${round}: the answer`);
        // The second tab: refused because of the call in progress, and told when it can succeed.
        const second = await requestGrant(node.url, node.url);
        expect(second.status).toBe(429);
        expect(second.body.error).toBe('ip_busy');
        expect(second.body.message).toMatch(/already in progress.*as soon as it ends, at the latest in \d+ (seconds|minutes)\./);
        expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
        signal.socket.send(JSON.stringify({ type: 'hangup' }));
        await step(`call ${round}: ended`, signal.next('ended'));
        signal.socket.close();
      } finally {
        await browser.close();
      }
    }
  });

  it('says why and when for a configured hourly cap and for a full node', async () => {
    const refuseGateway = { connect: () => Promise.reject(new Error('no media in this test')) };
    api = await startApi({ gateway: refuseGateway, startBot: () => ({ stop: () => undefined }), limits: { perIpActive: 10, perIpPerHour: 2, globalActive: 3 } });
    for (let i = 0; i < 2; i++) expect((await requestGrant(api.baseUrl)).status).toBe(201);
    const hourly = await requestGrant(api.baseUrl);
    expect(hourly.body.error).toBe('ip_hourly');
    expect(hourly.body.message).toBe('This address has used its hourly call budget. You can call again in 60 minutes.');
    await api.close();
    api = await startApi({ gateway: refuseGateway, startBot: () => ({ stop: () => undefined }), limits: { perIpActive: 10, globalActive: 1 } });
    expect((await requestGrant(api.baseUrl)).status).toBe(201);
    const full = await requestGrant(api.baseUrl);
    expect(full.status).toBe(503);
    expect(full.body.message).toMatch(/^All lines are busy\. You can call as soon as another call ends, at the latest in \d+ seconds\.$/);
  });
});

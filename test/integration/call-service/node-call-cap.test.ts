// The node-wide call cap (media.maxCalls) over real sockets, for a browser call (a whole embedded
// node with a media worker, werift as the browser) and a direct SIP call (the SIP endpoint on real
// UDP): at the cap the next call is refused the way its protocol says, counted once in
// parley_refused_total{reason="node_call_cap"} and logged once; when a call ends its slot is free.
// Asterisk's refusal is tested on a real Asterisk (test/integration/asterisk-real/call-cap.test.ts).
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../../api/config.js';
import { startNode, type RunningNode } from '../../../api/node.js';
import { CallService } from '../../../engine/call/call-service.js';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import { SipEndpoint } from '../../../gateway-adapters/sip/sip-endpoint.js';
import { until } from '../../support/asterisk/parley-pbx.js';
import { freeUdpPort } from '../../support/free-port.js';
import { metricValue } from '../../support/metric-value.js';
import { grant, offerForAnswer, openSignal, step } from '../../support/signal-client.js';
import { offerSdp, SipTestClient, toTagOf } from '../../support/sip-client.js';
import { WeriftBrowser } from '../../support/werift-browser.js';

const CAP_LOG = 'refusing a call: the node is at its call cap (further refusals only counted until a call ends)';

function capturingLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino(new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>), done()) }));
  return { logger, lines };
}

describe('node-wide call cap', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('SIP: past the cap an INVITE gets 503 with Retry-After, counted once and logged once; a BYE frees the slot', async () => {
    const { logger, lines } = capturingLogger();
    const engine = new MediaEngine({ logger });
    cleanups.push(() => engine.stop());
    const calls = new CallService({ engine, startBot: () => ({ stop: () => undefined }), maxCallMs: 60_000, maxCalls: 1, logger });
    cleanups.push(() => calls.calls.endAll('shutdown'));
    // The endpoint's own limit is far above: the node's cap is what refuses.
    const endpoint = await SipEndpoint.start({ port: 0, maxCalls: 50 }, { calls, logger, media: { host: '127.0.0.1', session: { bargeIn: false } } });
    cleanups.push(() => endpoint.close());
    const client = await SipTestClient.open(endpoint.local);
    cleanups.push(() => client.close());
    const capBefore = await metricValue('parley_refused_total', { surface: 'sip', reason: 'node_call_cap' });
    const rejectedBefore = await metricValue('parley_refused_total', { surface: 'sip', reason: 'rejected_503' });

    const first = client.newDialog();
    client.invite(first, offerSdp({ port: 40010 }));
    const ok = await client.waitForResponse(first.callId, 'INVITE', 200);
    first.toTag = toTagOf(ok);
    client.ack(first, true);
    for (const port of [40012, 40014]) {
      const refused = client.newDialog();
      client.invite(refused, offerSdp({ port }));
      const busy = await client.waitForResponse(refused.callId, 'INVITE', (status) => status >= 200);
      expect(busy.status).toBe(503);
      expect(busy.headers.get('retry-after')).toBe('30');
    }
    expect(await metricValue('parley_refused_total', { surface: 'sip', reason: 'node_call_cap' })).toBe(capBefore + 2);
    expect(await metricValue('parley_refused_total', { surface: 'sip', reason: 'rejected_503' })).toBe(rejectedBefore);
    expect(lines.filter((line) => line.msg === CAP_LOG)).toHaveLength(1);

    client.sendRaw(client.request('BYE', first, 2, { branch: 'z9hG4bKcapbye' }));
    await client.waitForResponse(first.callId, 'BYE', 200);
    const next = client.newDialog();
    client.invite(next, offerSdp({ port: 40016 }));
    expect((await client.waitForResponse(next.callId, 'INVITE', (status) => status >= 200)).status).toBe(200);
  });

  it('browser: past the cap an offer is answered `node_busy`, counted once and logged once; a hangup frees the slot', async () => {
    const { logger, lines } = capturingLogger();
    // Never answered: werift needs an ICE server to be named; host candidates carry the call.
    const stun = `stun:127.0.0.1:${await freeUdpPort()}`;
    const config = configSchema.parse({ logLevel: 'info', api: { port: 0 }, operator: { port: 0 }, media: { workers: 1, maxCalls: 1 }, limits: { perIpActive: 5 }, turn: { stunUrls: [stun] } });
    const node: RunningNode = await startNode(config, logger);
    cleanups.push(() => node.shutdown(0));
    const origin = node.url;
    const browserCall = async (): Promise<Awaited<ReturnType<typeof openSignal>>> => {
      const { token, iceServers } = await grant(node, origin);
      const browser = new WeriftBrowser(iceServers);
      cleanups.push(() => browser.close());
      const signal = await openSignal(node, token, origin);
      cleanups.push(() => signal.socket.terminate());
      signal.socket.send(JSON.stringify({ type: 'offer', sdp: await step('ICE gathering', browser.offer()) }));
      return signal;
    };
    const { token, iceServers } = await grant(node, origin);
    const browser = new WeriftBrowser(iceServers);
    cleanups.push(() => browser.close());
    const { signal: live } = await offerForAnswer(node, origin, token, await step('ICE gathering', browser.offer()), 'the first call’s answer');
    cleanups.push(() => live.socket.terminate());

    for (let i = 0; i < 2; i++) {
      const refused = await browserCall();
      await until(() => refused.messages.length > 0, 'an answer to the offer over the cap', 20_000, 20);
      expect(refused.messages[0]).toMatchObject({ type: 'error', error: 'node_busy' });
    }
    const metrics = await (await fetch(`${node.operatorUrl}/metrics`)).text();
    expect(metrics).toContain('parley_refused_total{surface="signaling",reason="node_call_cap"} 2\n');
    expect(lines.filter((line) => line.msg === CAP_LOG)).toHaveLength(1);

    live.socket.send(JSON.stringify({ type: 'hangup' }));
    await until(() => node.calls.size === 0, 'the first call to end', 10_000, 20);
    const again = await browserCall();
    await until(() => again.messages.length > 0, 'an answer to the offer under the cap', 20_000, 20);
    expect(again.messages[0]).toMatchObject({ type: 'answer' });
  }, 90_000);
});

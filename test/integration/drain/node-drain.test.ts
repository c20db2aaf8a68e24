// SIGTERM on a real node process (api/main.ts in a child) with calls of every kind in flight: the
// node stops taking calls at once (/healthz draining, grants 503 + Retry-After, upgrades 503, new
// ARI channels hung up, new INVITEs 503), the live calls keep their audio, those that end on their
// own end with their own reason, and the rest end with `node_draining` at the drain timeout, each
// the way its protocol says (browser `ended` and a 1001 close, ARI hangup, SIP BYE, bot `stop`);
// then the process exits 0. A second SIGTERM ends the rest at once.
import alawmulaw from 'alawmulaw';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { BOT_CONTEXT, until } from '../../support/asterisk/parley-pbx.js';
import { BotServer, type BotPeer } from '../../support/bot-server.js';
import { freeTcpPort, freeUdpPort } from '../../support/free-port.js';
import { NodeProcess } from '../../support/node-process.js';
import { grant, step, type Signal } from '../../support/signal-client.js';
import { offerSdp, SipTestClient, toTagOf, type Dialog } from '../../support/sip-client.js';
import { RtpPeer } from '../../support/rtp-peer.js';
import { sine } from '../../support/test-signals.js';
import { botBytes, botsOf, loudBotFrames, startBrowserCall, startPbxNode } from '../../support/node-calls.js';

const ORIGIN = 'https://shop.example';
const APP = 'parley';

function stopReason(peer: BotPeer): unknown {
  return peer.named('stop')[0]?.reason;
}

async function healthStatus(node: NodeProcess): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${node.operatorUrl}/healthz`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

// The status of a WebSocket upgrade the node refuses.
function refusedUpgrade(url: string, token: string): Promise<{ status: number; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url.replace('http', 'ws')}/v1/signal?token=${encodeURIComponent(token)}`, { headers: { origin: ORIGIN } });
    socket.once('unexpected-response', (_request, response) => {
      resolve({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'] as string | undefined });
      socket.terminate();
    });
    socket.once('open', () => reject(new Error('the upgrade was accepted')));
    socket.once('error', () => undefined);
  });
}

// What the browser's signaling socket saw: its `ended` reason and its close code.
function watchSignal(signal: Signal): { closeCode: () => number | undefined } {
  let code: number | undefined;
  signal.socket.once('close', (closeCode: number) => (code = closeCode));
  return { closeCode: () => code };
}

describe('draining a node on SIGTERM', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('pbx mode: browser and Asterisk calls go on after SIGTERM, one ends on its own, the rest end node_draining at the timeout, exit 0', async () => {
    const { ari, bots, node } = await startPbxNode(ORIGIN, cleanups, { PARLEY_LIMIT_PER_IP_ACTIVE: '5', PARLEY_DRAIN_TIMEOUT_SECONDS: '8' });

    const { browser, signal } = await startBrowserCall(node, ORIGIN, cleanups);
    const browserSignal = watchSignal(signal);
    const spare = await grant(node, ORIGIN);
    const tone8k = sine(8000 * 40, 8000, 440, 8000);
    const endsOnItsOwn = ari.placeCall(APP, { context: BOT_CONTEXT, exten: '7000', audio: tone8k, callerNumber: '1001' });
    const cutAtTimeout = ari.placeCall(APP, { context: BOT_CONTEXT, exten: '7000', audio: tone8k, callerNumber: '1002' });
    const [browserBot] = await botsOf(bots, 'webrtc', 1);
    const asteriskBots = await botsOf(bots, 'asterisk', 2);
    // The browser talks for the whole test (paced RTP; the drain must not stop it reaching the bot).
    void browser.send(sine(48_000 * 30, 48_000, 440, 8000)).catch(() => undefined);
    for (const bot of [browserBot!, ...asteriskBots]) await until(() => loudBotFrames(bot, 0) >= 10, 'caller audio at each bot before the signal', 20_000, 20);
    const botFrom = (from: string): BotPeer => asteriskBots.find((bot) => (bot.named('start')[0]!.caller as { from?: string }).from === from)!;
    const ownBot = botFrom('1001');
    const otherBot = botFrom('1002');
    expect([ownBot, otherBot].every(Boolean)).toBe(true);
    const marks = new Map([browserBot!, ...asteriskBots].map((bot) => [bot, botBytes(bot)]));

    const signalledAt = Date.now();
    node.signal('SIGTERM');
    await until(async () => (await healthStatus(node)).status === 503, '/healthz to say draining', 10_000, 20);
    const drainingSeenMs = Date.now() - signalledAt;
    expect((await healthStatus(node)).body.status).toBe('draining');
    const refusedGrant = await fetch(`${node.url}/v1/sessions`, { method: 'POST', headers: { origin: ORIGIN, 'content-type': 'application/json' }, body: '{}' });
    expect(refusedGrant.status).toBe(503);
    expect(refusedGrant.headers.get('retry-after')).toBe('5');
    expect(await refusedGrant.json()).toMatchObject({ error: 'node_draining' });
    expect(await refusedUpgrade(node.url, spare.token)).toEqual({ status: 503, retryAfter: '5' });
    const lateCaller = ari.placeCall(APP, { context: BOT_CONTEXT, exten: '7000', audio: tone8k });
    await until(() => !ari.channels.has(lateCaller.id), 'the ARI channel that arrived while draining to be hung up', 10_000, 20);
    expect(ari.requests.some((request) => request.nickname.endsWith('channels.hangup') && request.query.reason === 'rejected')).toBe(true);

    // Live calls keep their audio: at least a second of the callers' tone reaches every bot after the signal.
    for (const bot of [browserBot!, ...asteriskBots]) {
      await until(() => loudBotFrames(bot, marks.get(bot)!) >= 50, 'a second of caller audio after SIGTERM', 10_000, 20);
    }
    // A call that ends on its own while draining ends with its own reason.
    ari.callerHangsUp(endsOnItsOwn.id);
    await until(() => stopReason(ownBot) !== undefined, 'the hung-up call to stop its bot', 10_000, 20);
    expect(stopReason(ownBot)).toBe('caller_hangup');
    expect(stopReason(otherBot)).toBeUndefined();
    expect(ari.channels.has(cutAtTimeout.id)).toBe(true);
    expect(signal.socket.readyState).toBe(WebSocket.OPEN);

    const exit = await node.exited;
    const exitMs = Date.now() - signalledAt;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(signal.messages.find((message) => message.type === 'ended')).toEqual({ type: 'ended', reason: 'node_draining' });
    expect(browserSignal.closeCode()).toBe(1001);
    expect(stopReason(browserBot!)).toBe('node_draining');
    expect(stopReason(otherBot)).toBe('node_draining');
    expect(ari.channels.has(cutAtTimeout.id)).toBe(false);
    expect(ari.requests.filter((request) => request.nickname.endsWith('channels.hangup') && request.query.reason !== 'rejected').length).toBeGreaterThanOrEqual(1);
    const over = node.log('drain over: ending what is left')!;
    expect(over).toMatchObject({ outcome: 'timeout', endingCalls: { webrtc: 1, asterisk: 1 } });
    console.info(`pbx drain (timeout 8 s): /healthz draining seen ${drainingSeenMs} ms after SIGTERM; drain over after ${String(over.elapsedMs)} ms; process exited 0 ${exitMs} ms after SIGTERM`);
  });

  it('direct mode: SIP calls go on after SIGTERM, new INVITEs get 503, a BYE ends one, the node BYEs the other node_draining at the timeout, exit 0', async () => {
    const bots = await BotServer.start();
    cleanups.push(() => bots.close());
    const sipPort = await freeUdpPort();
    const node = await NodeProcess.start({
      PARLEY_MODE: 'direct',
      PARLEY_JANUS_TOKEN_SECRET: 'direct-mode-test-secret',
      // Nothing listens there: this test's calls come straight from a SIP caller, not through Janus.
      PARLEY_JANUS_URL: `ws://127.0.0.1:${await freeTcpPort()}`,
      PARLEY_SIP_PORT: String(sipPort),
      PARLEY_BOT_URL: bots.url,
      PARLEY_DRAIN_TIMEOUT_SECONDS: '6',
    });
    cleanups.push(() => node.kill());
    const client = await SipTestClient.open({ address: '127.0.0.1', port: sipPort });
    cleanups.push(() => client.close());
    const tone = alawmulaw.mulaw.encode(sine(8000 * 40, 8000, 440, 8000));
    const payloads = Array.from({ length: tone.length / 160 }, (_, i) => tone.subarray(i * 160, (i + 1) * 160));
    const call = async (ssrc: number): Promise<Dialog> => {
      const peer = await RtpPeer.open();
      cleanups.push(() => peer.close());
      const { dialog, remotePort } = await client.call(peer.port);
      void peer.stream(payloads, remotePort, { payloadType: 0, ssrc, samplesPerFrame: 160 }).catch(() => undefined);
      return dialog;
    };
    const hangsUp = await call(0x1111);
    const cut = await call(0x2222);
    const sipBots = await botsOf(bots, 'sip', 2);
    for (const bot of sipBots) await until(() => loudBotFrames(bot, 0) >= 10, 'caller audio at each bot before the signal', 20_000, 20);
    const marks = new Map(sipBots.map((bot) => [bot, botBytes(bot)]));

    const signalledAt = Date.now();
    node.signal('SIGTERM');
    await until(async () => (await healthStatus(node)).body.status === 'draining', '/healthz to say draining', 10_000, 20);
    const drainingSeenMs = Date.now() - signalledAt;
    const late = client.newDialog();
    client.invite(late, offerSdp({ port: 40_000 }));
    const refused = await client.waitForResponse(late.callId, 'INVITE', (status) => status >= 200);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    client.ack({ ...late, toTag: toTagOf(refused) }, false);

    for (const bot of sipBots) await until(() => loudBotFrames(bot, marks.get(bot)!) >= 50, 'a second of caller audio after SIGTERM', 10_000, 20);
    client.sendRaw(client.request('BYE', hangsUp, 2, { branch: 'z9hG4bKdrainbye' }));
    await client.waitForResponse(hangsUp.callId, 'BYE', 200);
    await until(() => sipBots.filter((bot) => stopReason(bot) !== undefined).length === 1, 'the hung-up call to stop its bot', 10_000, 20);
    expect(sipBots.map(stopReason).filter(Boolean)).toEqual(['remote_hangup']);

    const bye = await step('the node to BYE the call left at the timeout', client.waitForRequest(cut.callId, 'BYE'), 20_000);
    const byeMs = Date.now() - signalledAt;
    client.answer(bye);
    const exit = await node.exited;
    const exitMs = Date.now() - signalledAt;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(sipBots.map(stopReason).sort()).toEqual(['node_draining', 'remote_hangup']);
    const over = node.log('drain over: ending what is left')!;
    expect(over).toMatchObject({ outcome: 'timeout', endingCalls: { sip: 1 } });
    console.info(`direct drain (timeout 6 s): /healthz draining seen ${drainingSeenMs} ms after SIGTERM; drain over after ${String(over.elapsedMs)} ms; BYE at ${byeMs} ms; process exited 0 ${exitMs} ms after SIGTERM`);
  });

  it('a second SIGTERM ends the live calls at once (node_draining) instead of waiting out the drain timeout', async () => {
    const bots = await BotServer.start();
    cleanups.push(() => bots.close());
    const node = await NodeProcess.start({
      PARLEY_BOT_URL: bots.url,
      PARLEY_ALLOWED_ORIGINS: ORIGIN,
      PARLEY_STUN_URLS: `stun:127.0.0.1:${await freeUdpPort()}`,
      PARLEY_DRAIN_TIMEOUT_SECONDS: '3600',
    });
    cleanups.push(() => node.kill());
    const { signal } = await startBrowserCall(node, ORIGIN, cleanups);
    const [bot] = await botsOf(bots, 'webrtc', 1);
    const signalledAt = Date.now();
    node.signal('SIGTERM');
    await until(async () => (await healthStatus(node)).body.status === 'draining', '/healthz to say draining', 10_000, 20);
    expect(signal.socket.readyState).toBe(WebSocket.OPEN);
    node.signal('SIGTERM');
    const exit = await step('the node to exit after the second SIGTERM', node.exited, 20_000);
    const exitMs = Date.now() - signalledAt;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(signal.messages.find((message) => message.type === 'ended')).toEqual({ type: 'ended', reason: 'node_draining' });
    expect(stopReason(bot!)).toBe('node_draining');
    expect(node.log('drain over: ending what is left')).toMatchObject({ outcome: 'hurried', endingCalls: { webrtc: 1 } });
    console.info(`second SIGTERM: process exited 0 ${exitMs} ms after the first`);
  });
});

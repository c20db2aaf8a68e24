// Direct mode end to end with real parts: a werift "browser" -> real Janus (SIP plugin, in its own
// network namespace) -> SIP -> Parley's SIP endpoint -> the embedded demo bot -> back.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../../api/config.js';
import { startNode, type RunningNode } from '../../../api/node.js';
import { JanusClient } from '../../../gateway-adapters/janus/janus-client.js';
import { janusSignedToken } from '../../../gateway-adapters/janus/janus-token.js';
import { startCoturn, type CoturnHandle } from '../../support/coturn.js';
import { directModeConfig, JANUS_TOKEN_SECRET, requireNamespaces, startJanusInNamespace, type JanusInNamespace } from '../../support/janus-netns.js';
import { grant, offerForAnswer, step, type Signal } from '../../support/signal-client.js';
import { renderSpeech } from '../../support/speech.js';
import { WeriftBrowser } from '../../support/werift-browser.js';

const ORIGIN = 'https://shop.example';
describe('direct mode through a real Janus', () => {
  let janus: JanusInNamespace | undefined;
  let coturn: CoturnHandle | undefined;
  let node: RunningNode | undefined;
  const speech = renderSpeech('Hello bot, can you hear me through Janus?', { rateHz: 48000 });

  beforeAll(async () => {
    requireNamespaces('The real-Janus direct-mode test');
    janus = await startJanusInNamespace('test-output/janus');
    coturn = await startCoturn('coturn-janus-secret', '../fixtures/janus/turnserver.conf');
    const config = configSchema.parse({
      operator: { port: 0 },
      ...directModeConfig(janus),
      logLevel: 'silent',
      api: { host: '127.0.0.1', port: 0, allowedOrigins: [ORIGIN], maxCallSeconds: 120 },
      limits: { perIpActive: 2, perIpPerHour: 50 },
      turn: { stunUrls: [`stun:127.0.0.1:${coturn.port}`], turnUrls: [`turn:127.0.0.1:${coturn.port}?transport=udp`], secret: coturn.secret },
    });
    node = await startNode(config, pino({ level: process.env.JANUS_TEST_LOG ?? 'silent' }));
  });

  afterAll(async () => {
    await node?.shutdown(0);
    await coturn?.stop();
    await janus?.stop();
  });

  const call = async (policy: 'all' | 'relay'): Promise<{ browser: WeriftBrowser; signal: Signal; callId: string }> => {
    const { token, iceServers } = await grant(node!, ORIGIN);
    // The direct path needs no relay: that browser gets only the grant's STUN entry (the same
    // local coturn), so a slow TURN allocation on a loaded machine cannot stall its gathering.
    const servers = policy === 'relay' ? iceServers : iceServers.filter((server) => !server.username);
    const browser = new WeriftBrowser(servers, policy);
    const offer = await step('ICE gathering', browser.offer());
    const { signal, answer } = await offerForAnswer(node!, ORIGIN, token, offer, 'the answer through Janus');
    await browser.answer(answer.sdp as string);
    return { browser, signal, callId: answer.callId as string };
  };

  it('carries audio both ways: the bot greets the browser and hears its speech; hangup ends every leg', async () => {
    const { browser, signal, callId } = await call('all');
    try {
      expect(node!.calls.list().map((c) => c.callId)).toContain(callId);
      // The greeting, as Opus through Janus: a sustained second of audio well above silence.
      await expect.poll(() => browser.loudFrames(-45), { timeout: 20_000, interval: 200 }).toBeGreaterThan(50);
      await browser.send(speech);
      // The caller's speech crossed Janus and SIP: the node's VAD counted speech frames.
      await expect.poll(() => node!.calls.list().find((c) => c.callId === callId)?.media?.speechFrames ?? 0, { timeout: 10_000 }).toBeGreaterThan(25);
      signal.socket.send(JSON.stringify({ type: 'hangup' }));
      await signal.next('ended');
      await expect.poll(() => node!.calls.size, { timeout: 10_000 }).toBe(0);
    } finally {
      signal.socket.terminate();
      await browser.close();
    }
  });

  it('completes the call through coturn when the browser is forced to relay', async () => {
    const { browser, signal, callId } = await call('relay');
    try {
      expect([...browser.candidateTypes]).toEqual(['relay']);
      await expect.poll(() => browser.loudFrames(-45), { timeout: 20_000, interval: 200 }).toBeGreaterThan(50);
      await browser.send(speech);
      await expect.poll(() => node!.calls.list().find((c) => c.callId === callId)?.media?.speechFrames ?? 0, { timeout: 10_000 }).toBeGreaterThan(25);
    } finally {
      signal.socket.send(JSON.stringify({ type: 'hangup' }));
      await signal.next('ended');
      signal.socket.terminate();
      await browser.close();
    }
  });

  it('refuses anonymous Janus sessions and tokens that are forged, expired or for another plugin', async () => {
    const now = Math.floor(Date.now() / 1000);
    const attempts: Array<[string, string | undefined]> = [
      ['anonymous', undefined],
      ['forged', janusSignedToken('not-the-janus-secret', ['janus.plugin.sip'], now + 60)],
      ['expired', janusSignedToken(JANUS_TOKEN_SECRET, ['janus.plugin.sip'], now - 10)],
    ];
    for (const [name, token] of attempts) {
      const client = await JanusClient.connect(janus!.url, token);
      try {
        await expect(client.createSession(), name).rejects.toMatchObject({ janusCode: 403 });
      } finally {
        client.close();
      }
    }
    // A valid token only opens the plugins it names; its session takes keepalives.
    const client = await JanusClient.connect(janus!.url, janusSignedToken(JANUS_TOKEN_SECRET, ['janus.plugin.echotest'], now + 60));
    try {
      const session = await client.createSession();
      await expect(client.request({ janus: 'keepalive', session_id: session })).resolves.toMatchObject({ janus: 'ack' });
      await expect(client.attach(session, 'janus.plugin.sip')).rejects.toMatchObject({ janusCode: expect.any(Number) });
      await client.destroySession(session);
    } finally {
      client.close();
    }
  });
});

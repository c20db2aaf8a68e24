// A browser call's own echo cancellation, end to end: a whole embedded node (media in worker
// processes, as it starts by default), werift as the browser, the grant request choosing
// `echoCancellation`, and the call's media stats in the operator view showing whether the node's
// canceller ran on the call while the demo bot greeted the caller (docs/echo-cancellation.md).
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../../api/config.js';
import { startNode, type RunningNode } from '../../../api/node.js';
import type { CallSummary } from '../../../engine/call/call.js';
import { until } from '../../support/asterisk/parley-pbx.js';
import { freeUdpPort } from '../../support/free-port.js';
import { grant, offerForAnswer, step } from '../../support/signal-client.js';
import { WeriftBrowser } from '../../support/werift-browser.js';

const ADMIN_TOKEN = 'admin-token-for-the-echo-test-0123';
const BOT_RATE_HZ = 16000;

describe('a browser call\'s own echo cancellation', () => {
  let node: RunningNode | undefined;
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await node?.shutdown(0);
    node = undefined;
  });

  // `session`: the node's media.session configuration.
  async function startEmbeddedNode(session: { echoCancellation?: boolean }): Promise<RunningNode> {
    return startNode(
      configSchema.parse({
        logLevel: 'silent',
        api: { port: 0, adminToken: ADMIN_TOKEN },
        operator: { port: 0 },
        // Never answered: werift needs an ICE server to be named; host candidates carry the call.
        turn: { stunUrls: [`stun:127.0.0.1:${await freeUdpPort()}`] },
        media: { session },
      }),
      pino({ level: 'silent' }),
    );
  }

  async function liveCall(): Promise<CallSummary | undefined> {
    const response = await fetch(`${node!.operatorUrl}/admin/calls`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    return ((await response.json()) as { calls: CallSummary[] }).calls[0];
  }

  // One call granted with `requestBody`, up to a second of the demo bot's greeting sent; its media
  // stats then, and the call hung up.
  async function callWith(requestBody: string): Promise<NonNullable<CallSummary['media']>> {
    const origin = node!.url;
    const { token, iceServers } = await grant(node!, origin, requestBody);
    const browser = new WeriftBrowser(iceServers);
    // A retry with a new grant asks for the same (it fell back to the node's setting in a CI run).
    const { signal, answer } = await offerForAnswer(node!, origin, token, await step('ICE gathering', browser.offer()), 'the answer', requestBody);
    await browser.answer(answer.sdp as string);
    await until(() => browser.pc.connectionState === 'connected', 'DTLS with the node', 20_000, 20);
    let media: CallSummary['media'];
    await until(
      async () => {
        media = (await liveCall())?.media;
        return (media?.botSamplesPlayed ?? 0) >= BOT_RATE_HZ;
      },
      'a second of the bot\'s greeting',
      20_000,
      50,
    );
    signal.socket.terminate();
    await browser.close();
    await until(async () => (await liveCall()) === undefined, 'the call to end', 10_000, 50);
    return media!;
  }

  it('runs the node\'s canceller on a call whose grant asks for it, and not on the next call, which does not', async () => {
    node = await startEmbeddedNode({});
    const cancelled = await callWith('{"echoCancellation":true}');
    expect(cancelled.echo).toBeDefined();
    // The canceller worked on the frames the bot's audio was in reach of, not only skipped them.
    expect(cancelled.frames - cancelled.echo!.bypassedFrames).toBeGreaterThanOrEqual(BOT_RATE_HZ / 320);
    // The node's default for an Opus leg: off.
    const plain = await callWith('{}');
    expect(plain.botSamplesPlayed).toBeGreaterThanOrEqual(BOT_RATE_HZ);
    expect(plain.echo).toBeUndefined();
  }, 90_000);

  it('turns off, per call, the canceller the node\'s configuration turns on', async () => {
    node = await startEmbeddedNode({ echoCancellation: true });
    expect((await callWith('{"echoCancellation":false}')).echo).toBeUndefined();
    expect((await callWith('{}')).echo).toBeDefined();
  }, 90_000);
});

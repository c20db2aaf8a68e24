// Crash isolation in a real node process (api/main.ts, pbx mode, two media workers) with a browser
// call (werift in a worker) and Asterisk calls (ExternalMedia RTP in a worker, ARI double) in
// flight, every bot a real WebSocket. The worker carrying the browser call is SIGKILLed: the
// browser is told `ended: media_worker_failed`, that worker's Asterisk calls are hung up over ARI,
// their bots see their socket close; the other worker's calls keep their audio at their bots; the
// worker is started again.
import { afterEach, describe, expect, it } from 'vitest';
import { BOT_CONTEXT, until } from '../../support/asterisk/parley-pbx.js';
import type { BotPeer } from '../../support/bot-server.js';
import { botBytes, botsOf, loudBotFrames, startBrowserCall, startPbxNode } from '../../support/node-calls.js';
import { sine } from '../../support/test-signals.js';

const ORIGIN = 'https://shop.example';
const APP = 'parley';

describe('media workers: crash isolation in a pbx node', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('a SIGKILLed worker ends its browser call (ended: media_worker_failed) and its Asterisk calls (ARI hangup); the other worker\'s calls keep their audio', async () => {
    const { ari, bots, node } = await startPbxNode(ORIGIN, cleanups, { PARLEY_MEDIA_WORKERS: '2' });
    const workerPids = new Map(node.logs.filter((line) => line.msg === 'media worker started').map((line) => [line.worker as number, line.pid as number]));
    expect([...workerPids.keys()].sort()).toEqual([0, 1]);

    const { browser, signal } = await startBrowserCall(node, ORIGIN, cleanups);
    const tone8k = sine(8000 * 40, 8000, 440, 8000);
    const channels = [1001, 1002, 1003].map((callerNumber) => ari.placeCall(APP, { context: BOT_CONTEXT, exten: '7000', audio: tone8k, callerNumber: String(callerNumber) }));
    const [browserBot] = await botsOf(bots, 'webrtc', 1);
    const asteriskBots = await botsOf(bots, 'asterisk', 3);
    void browser.send(sine(48_000 * 30, 48_000, 440, 8000)).catch(() => undefined);
    const allBots = [browserBot!, ...asteriskBots];
    for (const bot of allBots) await until(() => loudBotFrames(bot, 0) >= 10, 'caller audio at each bot', 20_000, 20);

    // Where each call runs, from the node's one `call started` line per call.
    const placementOf = (bot: BotPeer): string => node.logs.find((line) => line.msg === 'call started' && line.callId === bot.named('start')[0]!.callId)!.placement as string;
    const browserWorker = placementOf(browserBot!);
    expect(browserWorker).toMatch(/^worker-[01]$/);
    const victims = asteriskBots.filter((bot) => placementOf(bot) === browserWorker);
    const survivors = asteriskBots.filter((bot) => placementOf(bot) !== browserWorker);
    // Placed by load: four calls, two on each worker.
    expect([victims.length, survivors.length]).toEqual([1, 2]);
    const channelOf = (bot: BotPeer) => channels.find((channel) => channel.callerNumber === (bot.named('start')[0]!.caller as { from: string }).from)!;
    const marks = new Map(survivors.map((bot) => [bot, botBytes(bot)]));

    process.kill(workerPids.get(Number(browserWorker.slice('worker-'.length)))!, 'SIGKILL');

    await until(() => signal.messages.some((message) => message.type === 'ended'), 'the browser to be told', 10_000, 20);
    expect(signal.messages.find((message) => message.type === 'ended')).toEqual({ type: 'ended', reason: 'media_worker_failed' });
    for (const victim of victims) await until(() => !ari.channels.has(channelOf(victim).id), 'the dead worker\'s ARI channel to be hung up', 10_000, 20);
    for (const bot of [browserBot!, ...victims]) await until(() => bot.closeCode !== undefined, 'the dead worker\'s bot sockets to close', 10_000, 20);
    // The other worker's calls: a second more of the caller's tone at their bots, still up.
    for (const bot of survivors) await until(() => loudBotFrames(bot, marks.get(bot)!) >= 50, 'a second of caller audio after the kill', 10_000, 20);
    for (const bot of survivors) {
      expect(bot.closeCode).toBeUndefined();
      expect(ari.channels.has(channelOf(bot).id)).toBe(true);
    }
    expect(node.logs.filter((line) => line.msg === 'media worker died: ending its calls (media_worker_failed) and starting it again')).toHaveLength(1);
    expect(node.logs.filter((line) => line.msg === 'call ended' && line.reason === 'media_worker_failed')).toHaveLength(1 + victims.length);
    await until(() => node.logs.filter((line) => line.msg === 'media worker started').length === 3, 'the worker to start again', 30_000, 50);
    const metrics = await (await fetch(`${node.operatorUrl}/metrics`)).text();
    expect(metrics).toContain(`parley_media_worker_failures_total{worker="${browserWorker.slice('worker-'.length)}"} 1`);
  }, 120_000);
});

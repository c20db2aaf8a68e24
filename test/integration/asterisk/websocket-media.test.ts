import { describe, expect, it } from 'vitest';
import { asteriskMetrics } from '../../../gateway-adapters/asterisk/asterisk-metrics.js';
import { powerAt } from '../../support/asterisk/audio-checks.js';
import { renderSpeech } from '../../support/speech.js';
import { freeTcpPort } from '../../support/free-port.js';
import { sine } from '../../support/test-signals.js';
import { rmsDbfs } from '../../support/signal-metrics.js';
import { APP, BOT_CONTEXT, BOT_TEXT, CALLER_TEXT, callOutcomes, finishedCalls, harnessPerTest, twoWayCall, until, type Harness } from './asterisk-harness.js';

describe('ExternalMedia over chan_websocket (slin16)', () => {
  const harnesses = harnessPerTest();

  // chan_websocket client mode: the double's websocket_client.conf entry points at Parley's listener.
  async function startClientMode(botSays?: Int16Array, requestTimeoutMs?: number): Promise<Harness> {
    const harness = await harnesses.start({ config: { transport: 'websocket', websocket: { connectionType: 'client', clientName: 'parley-media', listenPort: 0 }, requestTimeoutMs }, botSays });
    harness.ari.websocketClients['parley-media'] = `ws://127.0.0.1:${harness.adapter.mediaListenPort}`;
    return harness;
  }

  it('connects to /media/<MEDIA_WEBSOCKET_CONNECTION_ID> (server mode) and carries 16 kHz audio both ways', async () => {
    const harness = await harnesses.start({ config: { transport: 'websocket' }, botSays: renderSpeech(BOT_TEXT, { rateHz: 16000 }) });
    const result = await twoWayCall(harness, 16000);
    const query = harness.ari.requests.find((r) => r.nickname === 'channels.externalMedia')!.query;
    expect(query).toMatchObject({ transport: 'websocket', encapsulation: 'none', format: 'slin16', connection_type: 'server' });
    expect(harness.ari.requests.some((r) => r.nickname === 'channels.getChannelVar' && r.query.variable === 'MEDIA_WEBSOCKET_CONNECTION_ID')).toBe(true);
    expect(result.toBot).toBeGreaterThan(0.9);
    expect(result.toCaller).toBeGreaterThan(0.9);
    expect([...harness.ari.wsEndpoints.values()][0]!.oversizeMessages).toBe(0);
  });

  it('accepts Asterisk’s connection (client mode), matched to the call by the call id Asterisk puts in the URI (v() option)', async () => {
    const harness = await startClientMode(renderSpeech(BOT_TEXT, { rateHz: 16000 }));
    const result = await twoWayCall(harness, 16000);
    expect(harness.ari.requests.find((r) => r.nickname === 'channels.externalMedia')!.query).toMatchObject({ connection_type: 'client', external_host: 'parley-media' });
    expect(result.toBot).toBeGreaterThan(0.9);
    expect(result.toCaller).toBeGreaterThan(0.9);
  });

  it('dials client-mode calls one at a time: Asterisk shares the v() parameters between calls dialling at once, and none may get another call’s connection', async () => {
    const calls = 6;
    const toneHz = (call: number): number => 500 + 200 * call;
    const harness = await startClientMode();
    harness.ari.clientDialWindowMs = 20;
    const outcomes = async (): Promise<{ all: number; started: number }> => {
      const counts = await callOutcomes();
      return { all: Object.values(counts).reduce((sum, count) => sum + count, 0), started: counts.started ?? 0 };
    };
    const before = await outcomes();
    for (let call = 0; call < calls; call++) {
      harness.ari.placeCall(APP, { context: BOT_CONTEXT, exten: '7000', callerNumber: String(call), audio: sine(16000 * 3, 16000, toneHz(call), 8000) });
    }
    await until(async () => (await outcomes()).all - before.all === calls, 'every call set up or failed');
    expect((await outcomes()).started - before.started).toBe(calls);
    await until(() => harness.bots.bots.length === calls && harness.bots.bots.every((bot) => bot.frames.length >= 50), 'a second of audio at every bot');
    for (const bot of harness.bots.bots) {
      const call = Number(bot.info.from);
      // Its second half second: each call's link carries its own caller's tone and no other's.
      const heard = bot.heard().subarray(8000, 16000);
      const own = powerAt(heard, toneHz(call), 16000);
      const others = Array.from({ length: calls }, (_, other) => (other === call ? 0 : powerAt(heard, toneHz(other), 16000)));
      expect(own).toBeGreaterThan(100 * Math.max(...others));
    }
  });

  it('keeps a client-mode call’s turn until Asterisk has dialled it, even when its caller hangs up while ExternalMedia is answered', async () => {
    const harness = await startClientMode();
    // Asterisk answers after 100 ms and builds the URI after 200: the answer finds the first
    // call's caller gone, while Asterisk is still to dial that call.
    harness.ari.externalMediaAnswerDelayMs = 100;
    harness.ari.clientDialWindowMs = 200;
    const externalMediaRequests = (): number => harness.ari.requests.filter((request) => request.nickname === 'channels.externalMedia').length;
    const first = harness.ari.placeCall(APP, { context: BOT_CONTEXT, exten: '7000', callerNumber: 'first', audio: sine(16000 * 3, 16000, 500, 8000) });
    await until(() => externalMediaRequests() === 1, 'the first call’s ExternalMedia request');
    harness.ari.callerHangsUp(first.id);
    harness.ari.placeCall(APP, { context: BOT_CONTEXT, exten: '7000', callerNumber: 'second', audio: sine(16000 * 3, 16000, 700, 8000) });
    const bot = await harness.bots.started(0);
    expect(bot.info.from).toBe('second');
    // The second call's link is its own: a second of its caller's tone reaches its bot.
    await until(() => bot.frames.length >= 50, 'a second of audio at the second call’s bot');
    const heard = bot.heard().subarray(8000, 16000);
    expect(powerAt(heard, 700, 16000)).toBeGreaterThan(100 * powerAt(heard, 500, 16000));
    expect(rmsDbfs(heard)).toBeGreaterThan(-20);
  });

  it('ends a client-mode call’s turn as soon as Asterisk destroys its channel because the dial failed, so the next call is not held for the request timeout', async () => {
    // A request timeout longer than the wait below: only the ChannelDestroyed can end the turn.
    const harness = await startClientMode(undefined, 60_000);
    const listener = harness.ari.websocketClients['parley-media']!;
    harness.ari.websocketClients['parley-media'] = `ws://127.0.0.1:${await freeTcpPort()}`; // nothing listens on it
    // Asterisk reports the channel destroyed before it answers the request that made it.
    harness.ari.externalMediaAnswerDelayMs = 500;
    const before = await callOutcomes();
    const firstFinished = finishedCalls(harness.adapter, 1);
    harness.ari.placeCall(APP, { context: BOT_CONTEXT, exten: '7000', callerNumber: 'first', audio: sine(16000 * 3, 16000, 500, 8000) });
    await until(async () => ((await callOutcomes()).setup_failed ?? 0) > (before.setup_failed ?? 0), 'the first call’s setup to fail');
    await firstFinished;
    // Nothing of it is left: its bridge destroyed, its caller hung up.
    expect(harness.ari.bridges.size).toBe(0);
    expect(harness.ari.channels.size).toBe(0);
    harness.ari.externalMediaAnswerDelayMs = 0;
    harness.ari.websocketClients['parley-media'] = listener;
    harness.ari.placeCall(APP, { context: BOT_CONTEXT, exten: '7000', callerNumber: 'second', audio: sine(16000 * 3, 16000, 700, 8000) });
    const bot = await harness.bots.started(0);
    expect(bot.info.from).toBe('second');
    await until(() => bot.frames.length >= 50, 'a second of audio at the second call’s bot');
    expect(powerAt(bot.heard().subarray(8000, 16000), 700, 16000)).toBeGreaterThan(0);
    expect(rmsDbfs(bot.heard().subarray(8000, 16000))).toBeGreaterThan(-20);
  });

  it('frees a client-mode call whose caller hangs up while it waits for its turn to dial, without waiting for that turn', async () => {
    // Asterisk builds the first call's URI 5 s after it was asked (well within the wait for its
    // connection): the first call's turn lasts that long, and the second call's teardown (a few
    // ARI requests) must end well within it.
    const harness = await startClientMode(undefined, 20_000);
    harness.ari.clientDialWindowMs = 5000;
    const externalMediaRequests = (): number => harness.ari.requests.filter((request) => request.nickname === 'channels.externalMedia').length;
    const dialsWaiting = async (): Promise<number> => (await asteriskMetrics.dialsWaiting.get()).values[0]?.value ?? 0;
    const before = await callOutcomes();
    harness.ari.placeCall(APP, { context: BOT_CONTEXT, exten: '7000', callerNumber: 'first', audio: sine(16000 * 3, 16000, 500, 8000) });
    await until(() => externalMediaRequests() === 1, 'the first call’s ExternalMedia request');
    const second = harness.ari.placeCall(APP, { context: BOT_CONTEXT, exten: '7000', callerNumber: 'second' });
    await until(async () => (await dialsWaiting()) === 1, 'the second call waiting for its turn');
    const finished = finishedCalls(harness.adapter, 1);
    harness.ari.callerHangsUp(second.id);
    await finished;
    expect(harness.ari.clientDials).toBe(0);
    expect(await dialsWaiting()).toBe(0);
    // Counted as it left; only the first call's bridge is left.
    expect(((await callOutcomes()).caller_left_during_setup ?? 0) - (before.caller_left_during_setup ?? 0)).toBe(1);
    expect(harness.ari.bridges.size).toBe(1);
    // The first call's turn went on undisturbed.
    const bot = await harness.bots.started(0);
    expect(bot.info.from).toBe('first');
    expect(externalMediaRequests()).toBe(1);
  });

  it('sends FLUSH_MEDIA when the caller barges in, so queued bot audio stops', async () => {
    const longReply = renderSpeech(`${BOT_TEXT} ${BOT_TEXT} ${BOT_TEXT}`, { rateHz: 16000 });
    const harness = await harnesses.start({ config: { transport: 'websocket' }, botSays: longReply, session: { bargeIn: true } });
    // The caller is quiet for a second, then talks over the bot.
    const speech = renderSpeech(CALLER_TEXT, { rateHz: 16000 });
    const audio = new Int16Array(16000 + speech.length);
    audio.set(speech, 16000);
    harness.ari.placeCall(APP, { context: BOT_CONTEXT, exten: '7000', audio });
    await harness.bots.started(0);
    await until(() => harness.ari.wsEndpoints.size === 1, 'media endpoint');
    const endpoint = [...harness.ari.wsEndpoints.values()][0]!;
    await until(() => endpoint.commands.includes('FLUSH_MEDIA'), 'FLUSH_MEDIA');
    const flushedAtFrame = endpoint.heard().length / 320;
    await until(() => endpoint.heard().length / 320 >= flushedAtFrame + 25, 'half a second after the flush');
    const heard = endpoint.heard();
    // Bot speech before the barge-in, (near) silence for the bot's part after it.
    expect(rmsDbfs(heard, 0, 16000)).toBeGreaterThan(-40);
    expect(rmsDbfs(heard, (flushedAtFrame + 5) * 320, (flushedAtFrame + 25) * 320)).toBeLessThan(-60);
  });

  it('stops sending on MEDIA_XOFF and resumes on MEDIA_XON', async () => {
    const harness = await harnesses.start({
      config: { transport: 'websocket' },
      botSays: renderSpeech(`${BOT_TEXT} ${BOT_TEXT}`, { rateHz: 16000 }),
      double: { wsEndpoint: { xoffFrames: 10, xonFrames: 5 } },
    });
    harness.ari.placeCall(APP, { context: BOT_CONTEXT, exten: '7000', audio: new Int16Array(0) });
    await until(() => harness.ari.wsEndpoints.size === 1, 'media endpoint');
    const endpoint = [...harness.ari.wsEndpoints.values()][0]!;
    endpoint.consumerStalled = true;
    await until(() => endpoint.xoffSent === 1, 'MEDIA_XOFF');
    const queuedAtXoff = endpoint.queuedFrames;
    // Half a second of stall: Parley holds back instead of piling frames into Asterisk's queue.
    const framesThen = endpoint.framesSent;
    await until(() => endpoint.framesSent >= framesThen + 25, 'half a second');
    expect(endpoint.queuedFrames).toBe(queuedAtXoff);
    endpoint.consumerStalled = false;
    const heardBefore = endpoint.heard().length;
    await until(() => endpoint.heard().length >= heardBefore + 16000, 'a second after XON');
    expect(endpoint.commands.filter((c) => c !== 'FLUSH_MEDIA')).toEqual([]);
    expect(rmsDbfs(endpoint.heard(), heardBefore + 4000)).toBeGreaterThan(-40);
  });
});

// Real Asterisk can answer POST /channels/externalMedia before the new channel is in Stasis (it
// gets there on another thread); an immediate addChannel then gets 422 "Channel not in Stasis
// application" and the call was hung up. The double holds the StasisStart back on demand.
import { describe, expect, it } from 'vitest';
import { APP, BOT_CONTEXT, BOT_TEXT, finishedCalls, harnessPerTest, twoWayCall } from './asterisk-harness.js';
import { renderSpeech } from '../../support/speech.js';

describe('ExternalMedia channel entering Stasis after the REST answer', () => {
  const harnesses = harnessPerTest();

  it.each(['rtp', 'websocket'] as const)('%s: waits for the media channel’s StasisStart before bridging, so the call goes through', async (transport) => {
    const wireRateHz = transport === 'rtp' ? 8000 : 16000;
    const harness = await harnesses.start({ config: { transport }, botSays: renderSpeech(BOT_TEXT, { rateHz: 16000 }) });
    harness.ari.externalMediaStasisDelayMs = 150;
    const result = await twoWayCall(harness, wireRateHz);
    expect(harness.ari.requests.filter((r) => r.nickname === 'bridges.addChannel')).toHaveLength(1);
    expect(harness.calls.size).toBe(1);
    expect(result.toBot).toBeGreaterThan(0.9);
    expect(result.toCaller).toBeGreaterThan(0.9);
  });

  it('rolls back when the StasisStart never comes', async () => {
    const harness = await harnesses.start({ config: { requestTimeoutMs: 300 } });
    harness.ari.externalMediaStasisDelayMs = Infinity;
    const done = finishedCalls(harness.adapter, 1);
    const caller = harness.ari.placeCall(APP, { context: BOT_CONTEXT, exten: '7000' });
    await done;
    expect(harness.ari.requests.some((r) => r.nickname === 'bridges.addChannel')).toBe(false);
    expect(harness.ari.channels.has(caller.id)).toBe(false);
    expect(harness.ari.channels.size).toBe(0);
    expect(harness.ari.bridges.size).toBe(0);
    expect(harness.media.sessionCount).toBe(0);
    expect(harness.bots.bots).toHaveLength(0);
    expect(harness.ari.requests.find((r) => r.nickname === 'channels.hangup' && r.query.reason === 'failure')).toBeDefined();
  });
});

import { describe, expect, it } from 'vitest';
import { renderSpeech } from '../../support/speech.js';
import { APP, BOT_CONTEXT, BOT_TEXT, callOutcomes, finishedCalls, harnessPerTest, until, type Harness } from './asterisk-harness.js';

async function refusedCount(): Promise<number> {
  return (await callOutcomes()).refused ?? 0;
}

function expectNothingLeft(harness: Harness): void {
  expect(harness.ari.bridges.size).toBe(0);
  expect(harness.ari.channels.size).toBe(0);
  expect(harness.media.sessionCount).toBe(0);
  expect(harness.calls.size).toBe(0);
  expect(harness.adapter.activeCalls).toBe(0);
}

describe('Asterisk call lifecycle', () => {
  const harnesses = harnessPerTest();

  it('hangs up the caller and removes the bridge and ExternalMedia channel when the bot hangs up', async () => {
    const harness = await harnesses.start();
    const caller = harness.ari.placeCall(APP, { context: BOT_CONTEXT, exten: '7000' });
    const bot = await harness.bots.started(0);
    await until(() => harness.ari.bridges.get([...harness.ari.bridges.keys()][0] ?? '')?.channels.length === 2, 'bridged');
    const done = finishedCalls(harness.adapter, 1);
    bot.media.hangup('bot_hangup');
    await done;
    expect(bot.stopReason).toBe('bot_hangup');
    const hangups = harness.ari.requests.filter((r) => r.nickname === 'channels.hangup');
    expect(hangups.some((r) => r.query.reason === 'normal')).toBe(true);
    expect(harness.ari.channels.has(caller.id)).toBe(false);
    expectNothingLeft(harness);
  });

  it('ends the call at the maximum duration', async () => {
    const harness = await harnesses.start({ maxCallMs: 400 });
    const done = finishedCalls(harness.adapter, 1);
    harness.ari.placeCall(APP, { context: BOT_CONTEXT, exten: '7000', audio: renderSpeech(BOT_TEXT, { rateHz: 8000 }) });
    const bot = await harness.bots.started(0);
    await done;
    expect(bot.stopReason).toBe('max_duration');
    expectNothingLeft(harness);
  });

  it.each([
    ['a context that is not allowed', 'from-internet', '7000'],
    ['an extension that is not allowed', BOT_CONTEXT, '7001'],
  ])('refuses a channel from %s: hung up as rejected, nothing created, no bot', async (_, context, exten) => {
    const harness = await harnesses.start();
    const refusedBefore = await refusedCount();
    const refused = new Promise<string>((resolve) => harness.adapter.once('refused', resolve));
    const caller = harness.ari.placeCall(APP, { context, exten });
    expect(await refused).toBe(caller.id);
    // Besides the reconcile listing at connect, the only request is the refusal.
    const requests = harness.ari.requests.filter((r) => !r.nickname.endsWith('.list'));
    expect(requests.map((r) => r.nickname)).toEqual(['channels.hangup']);
    expect(requests[0]!.query.reason).toBe('rejected');
    expect(harness.bots.bots).toHaveLength(0);
    expect(await refusedCount()).toBe(refusedBefore + 1);
    expectNothingLeft(harness);
  });
});

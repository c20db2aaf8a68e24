// 50 SIP calls at once through the real Asterisk into Parley (RTP ulaw, then chan_websocket in
// server and in client mode, where each call's socket is matched by the call id Asterisk puts in
// the URI of a shared websocket_client entry): each caller sends its own
// tone and each bot answers with its own, so any crossing or loss shows; no call may fail its
// setup (the ExternalMedia/StasisStart race of 422 "Channel not in Stasis application" hung up
// 2 in 20 under load), and all of them tear down to nothing.
import { describe, expect, it } from 'vitest';
import { powerAt } from '../../support/asterisk/audio-checks.js';
import { callOutcomes, finishedCalls, until } from '../../support/asterisk/parley-pbx.js';
import { expectNothingLeft, realAsteriskPerFile } from '../../support/asterisk/real-pbx.js';
import { sine } from '../../support/test-signals.js';

const CALLS = 50;
const toneHz = (index: number): number => 400 + 50 * index; // 400 .. 2850 Hz, inside G.711's band

async function setupFailures(): Promise<number> {
  return Object.entries(await callOutcomes())
    .filter(([outcome]) => outcome !== 'started' && outcome !== 'refused')
    .reduce((sum, [, count]) => sum + count, 0);
}

// Which of the tones dominates `signal`, and by how much over the runner-up.
function dominantTone(signal: Int16Array, rateHz: number): { index: number; margin: number } {
  const powers = Array.from({ length: CALLS }, (_, index) => powerAt(signal, toneHz(index), rateHz));
  const sorted = [...powers].sort((a, b) => b - a);
  return { index: powers.indexOf(sorted[0]!), margin: sorted[0]! / Math.max(sorted[1]!, 1e-9) };
}

describe('real Asterisk: many calls at once', () => {
  const env = realAsteriskPerFile();

  const configs = {
    rtp: () => ({ transport: 'rtp' as const }),
    websocket: () => ({ transport: 'websocket' as const }),
    'websocket client mode': () => ({ transport: 'websocket' as const, websocket: { connectionType: 'client' as const, clientName: 'parley-media', listenPort: env.mediaWebSocketPort } }),
  };

  it.each(Object.keys(configs) as Array<keyof typeof configs>)(`%s: ${CALLS} concurrent calls, every one set up, audio both ways on each, no crossing, nothing left`, async (name) => {
    const failuresBefore = await setupFailures();
    const parley = await env.parley({ config: configs[name](), botSaysFor: (index) => sine(16000 * 6, 16000, toneHz(index), 8000) });
    const callers = await Promise.all(Array.from({ length: CALLS }, () => env.dial()));
    await until(() => parley.bots.bots.length === CALLS, `${CALLS} bots started`, 30_000).catch(async (error: Error) => {
      // What the next look at a failure needs: how the setups ended, and what Asterisk said.
      throw new Error(`${error.message}; setups ${JSON.stringify(await callOutcomes())}\nmessages.log:\n${env.asterisk.logTail(30)}`);
    });
    const sending = callers.map((caller, index) => caller.say(sine(8000 * 4, 8000, toneHz(index), 8000)));
    await until(
      () => parley.bots.bots.every((bot) => bot.frames.length >= 150) && callers.every((caller) => caller.packetsReceived >= 150),
      'three seconds of audio each way on every call',
      30_000,
    );
    expect(parley.calls.size).toBe(CALLS);
    expect(await setupFailures()).toBe(failuresBefore);
    // Each bot heard exactly one caller, and that caller heard this bot.
    const callerOfBot = parley.bots.bots.map((bot) => dominantTone(bot.heard().subarray(-8000), 16000));
    expect(new Set(callerOfBot.map((heard) => heard.index)).size).toBe(CALLS);
    parley.bots.bots.forEach((_, botIndex) => {
      const { index: callerIndex, margin } = callerOfBot[botIndex]!;
      expect(margin).toBeGreaterThan(100);
      const back = dominantTone(callers[callerIndex]!.heard().subarray(-4000), 8000);
      expect(back.index).toBe(botIndex);
      expect(back.margin).toBeGreaterThan(100);
    });
    await Promise.all(sending);
    const done = finishedCalls(parley.adapter, CALLS);
    await Promise.all(callers.map((caller) => caller.hangUp()));
    await done;
    expect(parley.bots.bots.every((bot) => bot.stopReason === 'caller_hangup')).toBe(true);
    expect(parley.media.sessionCount).toBe(0);
    await expectNothingLeft(env.asterisk);
  });
});

import { describe, expect, it } from 'vitest';
import { powerAt } from '../../support/asterisk/audio-checks.js';
import { sine } from '../../support/test-signals.js';
import { APP, BOT_CONTEXT, finishedCalls, harnessPerTest, until } from './asterisk-harness.js';

const CALLS = 50;
const toneHz = (call: number): number => 400 + 50 * call; // 400 .. 2850 Hz, inside G.711's band

describe('many concurrent Asterisk calls', () => {
  const harnesses = harnessPerTest();

  it(`runs ${CALLS} calls at once, each bot hearing its own caller, and tears all of them down`, async () => {
    const harness = await harnesses.start();
    const callers = Array.from({ length: CALLS }, (_, i) =>
      harness.ari.placeCall(APP, { context: BOT_CONTEXT, exten: '7000', callerNumber: String(i), audio: sine(8000 * 3, 8000, toneHz(i), 8000) }),
    );
    await until(() => harness.bots.bots.length === CALLS && harness.bots.bots.every((bot) => bot.frames.length >= 50), 'a second of audio at every bot');
    expect(harness.ari.bridges.size).toBe(CALLS);
    expect(harness.calls.size).toBe(CALLS);
    for (const bot of harness.bots.bots) {
      const call = Number(bot.info.from);
      // Its second half second (past the jitter buffer's start, and inside the caller's 3 s tone
      // however long the other 49 setups took): the caller's tone dominates its neighbours' by a
      // wide margin, so no audio crossed between calls.
      const heard = bot.heard().subarray(8000, 16000);
      const own = powerAt(heard, toneHz(call), 16000);
      const neighbour = Math.max(powerAt(heard, toneHz(call) + 50, 16000), powerAt(heard, toneHz(call) - 50, 16000));
      expect(own).toBeGreaterThan(100 * neighbour);
    }
    const done = finishedCalls(harness.adapter, CALLS);
    for (const caller of callers) harness.ari.callerHangsUp(caller.id);
    await done;
    expect(harness.ari.bridges.size).toBe(0);
    expect(harness.ari.channels.size).toBe(0);
    expect(harness.media.sessionCount).toBe(0);
  });
});

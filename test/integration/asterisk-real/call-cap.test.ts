// The node-wide call cap on a real Asterisk: at the cap a channel entering Stasis(parley) is hung
// up before it is answered (cause `congestion`, which Asterisk answers the SIP caller with 503),
// counted once in parley_refused_total{surface="asterisk",reason="node_call_cap"}; the live call
// is untouched and, once it ends, the next caller gets through.
import { describe, expect, it } from 'vitest';
import { finishedCalls, until } from '../../support/asterisk/parley-pbx.js';
import { realAsteriskPerFile } from '../../support/asterisk/real-pbx.js';
import { SipCaller } from '../../support/asterisk/sip-caller.js';
import { metricValue } from '../../support/metric-value.js';
import { sine } from '../../support/test-signals.js';

describe('real Asterisk: the node-wide call cap', () => {
  const env = realAsteriskPerFile();

  it.each(['rtp', 'audiosocket'] as const)('%s: a caller over the cap is refused unanswered (503), the live call keeps its audio, the slot frees at its end', async (transport) => {
    const parley = await env.parley({ config: { transport, audiosocket: { listenPort: 0 } }, maxCalls: 1 });
    const live = await env.dial();
    const bot = await parley.bots.started(0);
    void live.say(sine(8000 * 20, 8000, 440, 8000)).catch(() => undefined);
    const before = await metricValue('parley_refused_total', { surface: 'asterisk', reason: 'node_call_cap' });
    await expect(SipCaller.dial(env.asterisk.sipPort, '7000')).rejects.toThrow(/answered 503/);
    expect(await metricValue('parley_refused_total', { surface: 'asterisk', reason: 'node_call_cap' })).toBe(before + 1);
    expect(parley.bots.bots).toHaveLength(1);
    // The live call's caller audio still reaches its bot.
    const heard = bot.heard().length;
    await until(() => bot.heard().length >= heard + 16000, 'a second of caller audio after the refusal', 10_000, 20);

    const done = finishedCalls(parley.adapter, 1);
    await live.hangUp();
    await done;
    const next = await env.dial();
    await parley.bots.started(1);
    expect(next.hungUp).toBe(false);
  }, 60_000);
});

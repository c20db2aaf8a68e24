// Calls ended by the bot and by the maximum call duration (the caller's own hangup ends every
// transport test): the caller gets a BYE, the bot is stopped with the reason, and Asterisk keeps
// no channel and no bridge.
import { describe, expect, it } from 'vitest';
import { finishedCalls } from '../../support/asterisk/parley-pbx.js';
import { expectNothingLeft, realAsteriskPerFile } from '../../support/asterisk/real-pbx.js';
import { renderSpeech } from '../../support/speech.js';
import { BOT_TEXT } from './transport-check.js';

describe('real Asterisk: calls ended by Parley', () => {
  const env = realAsteriskPerFile();

  it('the bot hangs up after its last words: BYE to the caller, nothing left', async () => {
    const parley = await env.parley({ botSays: renderSpeech(BOT_TEXT, { rateHz: 16000 }), botHangsUp: true });
    const done = finishedCalls(parley.adapter, 1);
    const caller = await env.dial();
    await caller.remoteHangup;
    await done;
    expect(parley.bots.bots[0]!.stopReason).toBe('bot_hangup');
    expect(caller.packetsReceived).toBeGreaterThan(50);
    await expectNothingLeft(env.asterisk);
  });

  it('the maximum call duration ends the call: BYE to the caller, nothing left', async () => {
    const parley = await env.parley({ maxCallMs: 1500 });
    const done = finishedCalls(parley.adapter, 1);
    const caller = await env.dial();
    await caller.remoteHangup;
    await done;
    expect(parley.bots.bots[0]!.stopReason).toBe('max_duration');
    await expectNothingLeft(env.asterisk);
  });
});

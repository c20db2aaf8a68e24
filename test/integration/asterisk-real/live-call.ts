// A call kept alive through faults: the caller sends a tone the whole time, the bot answers with
// another, and each check waits for more audio both ways and looks for the right tone each way.
import { expect } from 'vitest';
import { asteriskMetrics } from '../../../gateway-adapters/asterisk/asterisk-metrics.js';
import { powerAt } from '../../support/asterisk/audio-checks.js';
import { until, type ParleyPbx } from '../../support/asterisk/parley-pbx.js';
import { expectNothingLeft, type RealPbxEnv } from '../../support/asterisk/real-pbx.js';
import type { SipCaller } from '../../support/asterisk/sip-caller.js';
import { sine } from '../../support/test-signals.js';

const CALLER_HZ = 1000;
export const BOT_HZ = 700;

export async function connectFailures(reason: string): Promise<number> {
  return (await asteriskMetrics.connectFailures.get()).values.find((value) => value.labels.reason === reason)?.value ?? 0;
}

// The caller sends its tone for the whole call (a pause would be a test of the jitter buffer's
// handling of Asterisk's timestamp steps, which is not what these tests are about).
export function keepTalking(caller: SipCaller): void {
  void caller.say(sine(8000 * 60, 8000, CALLER_HZ, 8000));
}

// A live call still carries the caller's tone to the bot and the bot's tone to the caller.
export async function expectMediaFlowing(parley: ParleyPbx, botIndex: number, caller: SipCaller): Promise<void> {
  const bot = parley.bots.bots[botIndex]!;
  const frames = bot.frames.length;
  const packets = caller.packetsReceived;
  await until(() => bot.frames.length >= frames + 40 && caller.packetsReceived >= packets + 40, 'more audio both ways');
  const heard = bot.heard().subarray(-4000);
  expect(powerAt(heard, CALLER_HZ, 16000)).toBeGreaterThan(100 * powerAt(heard, CALLER_HZ + 300, 16000));
  const back = caller.heard().subarray(-2000);
  expect(powerAt(back, BOT_HZ, 8000)).toBeGreaterThan(100 * powerAt(back, BOT_HZ + 300, 8000));
}

// Dials a call that becomes bot number `botIndex`, keeps it talking, and checks its media.
export async function startLiveCall(env: RealPbxEnv, parley: ParleyPbx, botIndex: number): Promise<SipCaller> {
  const caller = await env.dial();
  keepTalking(caller);
  await parley.bots.started(botIndex);
  await expectMediaFlowing(parley, botIndex, caller);
  return caller;
}

// After a recovery: a new call carries audio both ways and, hung up, leaves nothing in Asterisk.
export async function expectNewCallWorks(env: RealPbxEnv, parley: ParleyPbx, botIndex: number): Promise<void> {
  const next = await startLiveCall(env, parley, botIndex);
  await next.hangUp();
  await expectNothingLeft(env.asterisk);
}

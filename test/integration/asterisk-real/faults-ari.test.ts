// ARI faults with Asterisk itself up: the event socket cut (a network failure between Parley and
// Asterisk) and a password rotated in ari.conf so that the reconnect gets 401. Documented
// behaviour (docs/asterisk.md): live calls go on — their media does not depend on ARI — and are
// reconciled once ARI is back; new calls work after recovery; the node never goes down.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ReconcileReport } from '../../../gateway-adapters/asterisk/asterisk-adapter.js';
import { asteriskMetrics } from '../../../gateway-adapters/asterisk/asterisk-metrics.js';
import { powerAt } from '../../support/asterisk/audio-checks.js';
import { finishedCalls, until, type ParleyPbx } from '../../support/asterisk/parley-pbx.js';
import { expectNothingLeft, realAsteriskPerFile } from '../../support/asterisk/real-pbx.js';
import type { SipCaller } from '../../support/asterisk/sip-caller.js';
import { TcpProxy } from '../../support/asterisk/tcp-proxy.js';
import { sine } from '../../support/test-signals.js';

const CALLER_HZ = 1000;
const BOT_HZ = 700;

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

describe('real Asterisk: ARI event socket faults', () => {
  const env = realAsteriskPerFile();
  let proxy: TcpProxy;
  beforeAll(async () => {
    proxy = await TcpProxy.start(env.asterisk.httpPort);
  });
  afterEach(async () => {
    await env.asterisk.setAriPassword(env.asterisk.ari.password);
  });
  afterAll(async () => {
    await proxy.close();
  });

  async function parleyWithLiveCall(): Promise<{ parley: ParleyPbx; caller: SipCaller }> {
    const parley = await env.parley({ url: proxy.url, config: { reconnectInitialMs: 50, reconnectMaxMs: 400 }, botSays: sine(16000 * 60, 16000, BOT_HZ, 8000) });
    const caller = await env.dial();
    keepTalking(caller);
    await parley.bots.started(0);
    await expectMediaFlowing(parley, 0, caller);
    return { parley, caller };
  }

  it('socket cut: reconnects, the live call goes on and still ends on its hangup, new calls work', async () => {
    const { parley, caller } = await parleyWithLiveCall();
    const reconciled = new Promise<ReconcileReport>((resolve) => parley.adapter.once('reconciled', resolve));
    expect(proxy.cut()).toBe(1);
    const report = await reconciled;
    expect(report.endedCalls).toEqual([]);
    await expectMediaFlowing(parley, 0, caller);
    const done = finishedCalls(parley.adapter, 1);
    await caller.hangUp();
    await done;
    expect(parley.bots.bots[0]!.stopReason).toBe('caller_hangup');
    const next = await env.dial();
    keepTalking(next);
    await parley.bots.started(1);
    await expectMediaFlowing(parley, 1, next);
  });

  it('401 on reconnect (password rotated, `module reload res_ari.so`): retried, the node and the live call stay up, all is back with the right password', async () => {
    const { parley, caller } = await parleyWithLiveCall();
    const refusedBefore = await connectFailures('auth');
    await env.asterisk.setAriPassword('rotated-elsewhere');
    proxy.cut();
    await until(async () => (await connectFailures('auth')) >= refusedBefore + 3, 'three refused reconnects');
    expect(parley.adapter.ariConnected).toBe(false);
    expect(parley.calls.size).toBe(1);
    await expectMediaFlowing(parley, 0, caller);

    const reconciled = new Promise<ReconcileReport>((resolve) => parley.adapter.once('reconciled', resolve));
    await env.asterisk.setAriPassword(env.asterisk.ari.password);
    expect((await reconciled).endedCalls).toEqual([]);
    expect(parley.adapter.ariConnected).toBe(true);
    const done = finishedCalls(parley.adapter, 1);
    await caller.hangUp();
    await done;
    const next = await env.dial();
    keepTalking(next);
    await parley.bots.started(1);
    await expectMediaFlowing(parley, 1, next);
    await next.hangUp();
    await expectNothingLeft(env.asterisk);
  });
});

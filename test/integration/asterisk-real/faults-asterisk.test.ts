// Asterisk itself going away: `core stop now`, `kill -9`, and a long outage after which it comes
// back with another ARI password. Documented behaviour (docs/asterisk.md): the node stays up and
// keeps reconnecting (/healthz not ok meanwhile); calls whose channels died with Asterisk are
// ended at the reconcile after the reconnect; new calls work once Asterisk is back.
import { describe, expect, it } from 'vitest';
import type { ReconcileReport } from '../../../gateway-adapters/asterisk/asterisk-adapter.js';
import { until, type ParleyPbx } from '../../support/asterisk/parley-pbx.js';
import { realAsteriskPerFile } from '../../support/asterisk/real-pbx.js';
import { sine } from '../../support/test-signals.js';
import { BOT_HZ, connectFailures, expectNewCallWorks, startLiveCall } from './live-call.js';

describe('real Asterisk: Asterisk stopped, killed, away for long', () => {
  const env = realAsteriskPerFile();

  async function liveCall(): Promise<ParleyPbx> {
    const parley = await env.parley({ config: { reconnectInitialMs: 50, reconnectMaxMs: 400 }, botSays: sine(16000 * 60, 16000, BOT_HZ, 8000) });
    await startLiveCall(env, parley, 0);
    return parley;
  }

  // After Asterisk is back: the old call ended (by StasisEnd at shutdown, or at the reconcile),
  // ARI up again, and a new call carries audio both ways.
  async function expectRecovered(parley: ParleyPbx, reconciled: Promise<ReconcileReport>): Promise<void> {
    await reconciled;
    await until(() => parley.calls.size === 0, 'the call that died with Asterisk ended');
    // `core stop now` sends StasisEnd for the channels (the media channel's may come first);
    // after a kill the reconcile finds the caller gone.
    expect(['caller_hangup', 'media_channel_gone']).toContain(parley.bots.bots[0]!.stopReason);
    expect(parley.adapter.ariConnected).toBe(true);
    await expectNewCallWorks(env, parley, 1);
  }

  it('`core stop now`, then a restart', async () => {
    const parley = await liveCall();
    const disconnected = new Promise<void>((resolve) => parley.adapter.once('disconnected', resolve));
    await env.asterisk.stop();
    await disconnected;
    expect(parley.adapter.ariConnected).toBe(false);
    const reconciled = new Promise<ReconcileReport>((resolve) => parley.adapter.once('reconciled', resolve));
    await env.asterisk.restart();
    await expectRecovered(parley, reconciled);
  });

  it('`kill -9`, then a restart', async () => {
    const parley = await liveCall();
    const disconnected = new Promise<void>((resolve) => parley.adapter.once('disconnected', resolve));
    await env.asterisk.kill();
    await disconnected;
    const reconciled = new Promise<ReconcileReport>((resolve) => parley.adapter.once('reconciled', resolve));
    await env.asterisk.restart();
    await expectRecovered(parley, reconciled);
  });

  it('a long outage, back with a rotated password (401s), then the right one', async () => {
    const parley = await liveCall();
    const unreachableBefore = await connectFailures('unreachable');
    await env.asterisk.kill();
    await until(async () => (await connectFailures('unreachable')) >= unreachableBefore + 5, 'five failed reconnects while Asterisk is down');
    const refusedBefore = await connectFailures('auth');
    await env.asterisk.setAriPassword('rotated-while-down');
    await env.asterisk.restart();
    await until(async () => (await connectFailures('auth')) >= refusedBefore + 2, 'two refused reconnects');
    expect(parley.adapter.ariConnected).toBe(false);
    const reconciled = new Promise<ReconcileReport>((resolve) => parley.adapter.once('reconciled', resolve));
    await env.asterisk.setAriPassword(env.asterisk.ari.password);
    await expectRecovered(parley, reconciled);
  });
});

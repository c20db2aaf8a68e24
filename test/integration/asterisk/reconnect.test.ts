import { describe, expect, it } from 'vitest';
import type { ReconcileReport } from '../../../gateway-adapters/asterisk/asterisk-adapter.js';
import { APP, BOT_CONTEXT, harnessPerTest, until, type Harness } from './asterisk-harness.js';

function nextReconcile(harness: Harness): Promise<ReconcileReport> {
  return new Promise((resolve) => harness.adapter.once('reconciled', resolve));
}

describe('ARI event socket loss and Asterisk restart', () => {
  const harnesses = harnessPerTest();

  it('reconnects with backoff, ends calls whose caller left meanwhile, and removes Parley leftovers', async () => {
    const harness = await harnesses.start();
    const { ari, adapter } = harness;
    const gone = ari.placeCall(APP, { context: BOT_CONTEXT, exten: '7000' });
    const stays = ari.placeCall(APP, { context: BOT_CONTEXT, exten: '7000' });
    await harness.bots.started(1);
    await until(() => [...ari.bridges.values()].filter((bridge) => bridge.channels.length === 2).length === 2, 'both calls bridged');

    // The socket drops and Asterisk refuses to take it back for a while.
    ari.acceptEvents = false;
    const disconnected = new Promise<void>((resolve) => adapter.once('disconnected', resolve));
    ari.dropEvents();
    await disconnected;
    // Meanwhile: one caller hangs up (the StasisEnd is lost) and a crashed Parley's leftovers sit there.
    ari.callerHangsUp(gone.id);
    ari.seedLeftover('parley-crashed-call');
    const reconciled = nextReconcile(harness);
    ari.acceptEvents = true;
    const report = await reconciled;

    expect(report.endedCalls).toHaveLength(1);
    expect(report.destroyedBridges).toEqual(['parley-crashed-call']);
    expect(report.hungUpChannels).toEqual(['parley-crashed-call-media']);
    await until(() => harness.calls.size === 1, 'the gone call ended');
    const goneBot = harness.bots.bots.find((bot) => bot.stopReason !== undefined)!;
    expect(goneBot.stopReason).toBe('caller_hangup');
    // What is left is exactly the live call: its caller, its ExternalMedia channel, its bridge.
    expect(ari.bridges.size).toBe(1);
    expect([...ari.bridges.values()][0]!.channels).toContain(stays.id);
    expect(ari.channels.size).toBe(2);
    expect(harness.media.sessionCount).toBe(1);
    // Events flow again: the live call still ends on its caller's hangup.
    ari.callerHangsUp(stays.id);
    await until(() => harness.calls.size === 0 && ari.bridges.size === 0 && ari.channels.size === 0, 'the live call ended');
  });

  it('after an Asterisk restart ends every call and takes new ones', async () => {
    const harness = await harnesses.start();
    const { ari } = harness;
    ari.placeCall(APP, { context: BOT_CONTEXT, exten: '7000' });
    const first = await harness.bots.started(0);
    await until(() => harness.calls.size === 1 && ari.bridges.size === 1, 'call up');
    const reconciled = nextReconcile(harness);
    ari.restart();
    const report = await reconciled;
    expect(report.endedCalls).toHaveLength(1);
    await until(() => harness.calls.size === 0 && harness.media.sessionCount === 0, 'call ended');
    expect(first.stopReason).toBe('caller_hangup');

    ari.placeCall(APP, { context: BOT_CONTEXT, exten: '7000' });
    await harness.bots.started(1);
    await until(() => [...ari.bridges.values()].some((bridge) => bridge.channels.length === 2), 'new call bridged');
  });
});

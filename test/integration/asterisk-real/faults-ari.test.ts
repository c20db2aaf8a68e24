// ARI faults with Asterisk itself up: the event socket cut (a network failure between Parley and
// Asterisk) and a password rotated in ari.conf so that the reconnect gets 401. Documented
// behaviour (docs/asterisk.md): live calls go on — their media does not depend on ARI — and are
// reconciled once ARI is back; new calls work after recovery; the node never goes down.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ReconcileReport } from '../../../gateway-adapters/asterisk/asterisk-adapter.js';
import { finishedCalls, until, type ParleyPbx } from '../../support/asterisk/parley-pbx.js';
import { realAsteriskPerFile } from '../../support/asterisk/real-pbx.js';
import type { SipCaller } from '../../support/asterisk/sip-caller.js';
import { TcpProxy } from '../../support/asterisk/tcp-proxy.js';
import { sine } from '../../support/test-signals.js';
import { BOT_HZ, connectFailures, expectMediaFlowing, expectNewCallWorks, startLiveCall } from './live-call.js';

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
    return { parley, caller: await startLiveCall(env, parley, 0) };
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
    await expectNewCallWorks(env, parley, 1);
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
    await expectNewCallWorks(env, parley, 1);
  });
});

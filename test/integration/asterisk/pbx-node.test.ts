import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../api/config.js';
import { APP, BOT_CONTEXT, pbxEnv, pbxNodePerTest, until } from './asterisk-harness.js';

describe('a node in pbx mode', () => {
  const t = pbxNodePerTest();

  it('takes Asterisk calls through ARI next to its API, configured from the environment', async () => {
    const ari = await t.double();
    const node = await t.start(pbxEnv(ari));
    expect(await (await fetch(`${node.operatorUrl}/healthz`)).json()).toMatchObject({ status: 'ok', checks: { mediaEngine: true, ari: true } });
    const caller = ari.placeCall(APP, { context: BOT_CONTEXT, exten: '7000' });
    await until(() => node.calls.size === 1 && [...ari.bridges.values()].some((bridge) => bridge.channels.length === 2), 'the call bridged');
    expect(node.calls.list()[0]!.source).toBe('asterisk');
    ari.callerHangsUp(caller.id);
    await until(() => node.calls.size === 0 && ari.bridges.size === 0 && ari.channels.size === 0, 'the call ended');
  });

  it('refuses an invalid asterisk section with the key at fault', () => {
    expect(() => loadConfig({ PARLEY_MODE: 'pbx', PARLEY_ASTERISK_FORMAT: 'slin16' })).toThrow(/asterisk\.format/);
  });

  it('does not start without an ARI password: the configuration names the key', () => {
    expect(() => loadConfig({ PARLEY_MODE: 'pbx', PARLEY_API_PORT: '0' })).toThrow(/asterisk\.password: required in pbx mode/);
  });
});

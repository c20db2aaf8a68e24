import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../api/config.js';
import { startNode, type RunningNode } from '../../../api/node.js';
import { AriDouble } from '../../support/ari-double/ari-double.js';
import { APP, BOT_CONTEXT, until } from './asterisk-harness.js';

describe('a node in pbx mode', () => {
  let node: RunningNode | undefined;
  let ari: AriDouble | undefined;
  afterEach(async () => {
    await node?.shutdown(0);
    await ari?.close();
    node = undefined;
    ari = undefined;
  });

  it('takes Asterisk calls through ARI next to its API, configured from the environment', async () => {
    ari = await AriDouble.start();
    const config = loadConfig({
      PARLEY_MODE: 'pbx',
      PARLEY_API_PORT: '0',
      PARLEY_OPERATOR_PORT: '0',
      PARLEY_ARI_URL: ari.url,
      PARLEY_ARI_USERNAME: 'parley',
      PARLEY_ARI_PASSWORD: 'secret',
      PARLEY_ASTERISK_CONTEXTS: BOT_CONTEXT,
    });
    node = await startNode(config, pino({ level: 'silent' }));
    expect(await (await fetch(`${node.operatorUrl}/healthz`)).json()).toMatchObject({ status: 'ok', checks: { mediaEngine: true, ari: true } });
    const caller = ari.placeCall(APP, { context: BOT_CONTEXT, exten: '7000' });
    await until(() => node!.calls.size === 1 && [...ari!.bridges.values()].some((bridge) => bridge.channels.length === 2), 'the call bridged');
    expect(node.calls.list()[0]!.source).toBe('asterisk');
    ari.callerHangsUp(caller.id);
    await until(() => node!.calls.size === 0 && ari!.bridges.size === 0 && ari!.channels.size === 0, 'the call ended');
  });

  it('refuses an invalid asterisk section with the key at fault', () => {
    expect(() => loadConfig({ PARLEY_MODE: 'pbx', PARLEY_ASTERISK_FORMAT: 'slin16' })).toThrow(/asterisk\.format/);
  });

  it('does not start without an ARI password: the configuration names the key', () => {
    expect(() => loadConfig({ PARLEY_MODE: 'pbx', PARLEY_API_PORT: '0' })).toThrow(/asterisk\.password: required in pbx mode/);
  });
});

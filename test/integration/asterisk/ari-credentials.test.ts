// Refused ARI credentials: at start a configuration error naming the key (no stack trace); on a
// reconnect (password rotated in ari.conf) a logged, retried failure that never takes the node
// down — ari-client's swagger-client used to throw the 401 out of an HTTP callback.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../api/config.js';
import { startNode } from '../../../api/node.js';
import { APP, BOT_CONTEXT, pbxEnv, pbxNodePerTest, until } from './asterisk-harness.js';

const run = promisify(execFile);

describe('refused ARI credentials', () => {
  const t = pbxNodePerTest();

  it('at start: `npm start` exits 2 with one line naming PARLEY_ARI_PASSWORD, no stack trace', async () => {
    const ari = await t.double();
    const result = await run('npx', ['tsx', 'api/main.ts'], { env: { ...process.env, ...pbxEnv(ari, 'wrong'), PARLEY_LOG_LEVEL: 'silent' }, timeout: 30_000 }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/refused the credentials \(HTTP 401\).*PARLEY_ARI_PASSWORD/);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it('at start in-process: startNode rejects with a ConfigError', async () => {
    const ari = await t.double();
    await expect(startNode(loadConfig(pbxEnv(ari, 'wrong')), pino({ level: 'silent' }))).rejects.toBeInstanceOf(ConfigError);
  });

  it('on reconnect: keeps retrying with /healthz 503, the live call goes on, and all is back once the password is right', async () => {
    const double = await t.double();
    const node = await t.start(pbxEnv(double));
    const url = node.operatorUrl;
    const live = double.placeCall(APP, { context: BOT_CONTEXT, exten: '7000' });
    await until(() => node.calls.size === 1 && [...double.bridges.values()].some((bridge) => bridge.channels.length === 2), 'the call bridged');

    double.setPassword('rotated');
    double.dropEvents();
    // Several refused attempts (each a fresh connect: 401 on resources.json), and still up.
    await until(() => double.unauthorized >= 3, 'three refused reconnects');
    expect((await fetch(`${url}/healthz`)).status).toBe(503);
    expect(node.calls.size).toBe(1);

    double.setPassword('secret');
    await until(async () => (await fetch(`${url}/healthz`)).status === 200, '/healthz ok again');
    expect(node.calls.size).toBe(1);
    double.callerHangsUp(live.id);
    await until(() => node.calls.size === 0 && double.channels.size === 0 && double.bridges.size === 0, 'the live call ended on its hangup');
    double.placeCall(APP, { context: BOT_CONTEXT, exten: '7000' });
    await until(() => node.calls.size === 1 && [...double.bridges.values()].some((bridge) => bridge.channels.length === 2), 'a new call bridged');
  });
});

// A drain whose last call ends on its own finishes then, not at the drain timeout: the node in
// pbx mode (in-process, ARI double) is shut down with an hour to drain, the caller hangs up, and
// shutdown() settles with the drain's outcome 'drained' and the call ended with its own reason.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../api/config.js';
import { startNode, type RunningNode } from '../../../api/node.js';
import { AriDouble } from '../../support/ari-double/ari-double.js';
import { BOT_CONTEXT, until } from '../../support/asterisk/parley-pbx.js';

describe('a drain with no call left', () => {
  let node: RunningNode | undefined;
  let ari: AriDouble | undefined;
  afterEach(async () => {
    await node?.shutdown(0);
    await ari?.close();
  });

  it('ends as soon as the last live call ends on its own', async () => {
    ari = await AriDouble.start();
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    node = await startNode(
      loadConfig({ PARLEY_MODE: 'pbx', PARLEY_API_PORT: '0', PARLEY_OPERATOR_PORT: '0', PARLEY_ARI_URL: ari.url, PARLEY_ARI_PASSWORD: 'secret', PARLEY_ASTERISK_CONTEXTS: BOT_CONTEXT }),
      logger,
    );
    const caller = ari.placeCall('parley', { context: BOT_CONTEXT, exten: '7000' });
    await until(() => node!.calls.size === 1, 'the call to start');
    let settled = false;
    const shutdown = node.shutdown(3_600_000).then(() => (settled = true));
    await until(() => node!.drain.draining, 'the drain to begin');
    expect(settled).toBe(false);
    ari.callerHangsUp(caller.id);
    await shutdown;
    expect(lines.find((line) => line.msg === 'drain over: ending what is left')).toMatchObject({ outcome: 'drained', endingCalls: {} });
    expect(lines.find((line) => line.msg === 'call ended')).toMatchObject({ reason: 'caller_hangup' });
    node = undefined;
  });
});

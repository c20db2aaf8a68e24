// A whole embedded node as main.ts starts it, on ports the OS picks: its own page may ask for
// grants (the origin carries the bound port, not the configured 0), and the operator surfaces are
// on the operator listener only, with the engine check in /healthz.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../../api/config.js';
import { startNode, type RunningNode } from '../../../api/node.js';

describe('an embedded node on OS-picked ports', () => {
  let node: RunningNode | undefined;
  afterEach(async () => {
    await node?.shutdown(0);
    node = undefined;
  });

  it('grants to its own page and keeps metrics and health off the public port', async () => {
    node = await startNode(configSchema.parse({ logLevel: 'silent', api: { port: 0 }, operator: { port: 0 } }), pino({ level: 'silent' }));
    const response = await fetch(`${node.url}/v1/sessions`, { method: 'POST', headers: { origin: node.url, 'content-type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(201);
    expect((await fetch(`${node.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${node.url}/healthz`)).status).toBe(404);
    expect(node.operatorUrl).not.toBe(node.url);
    const health = await fetch(`${node.operatorUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', checks: { mediaEngine: true, mediaWorkers: true }, calls: 0 });
    expect(await (await fetch(`${node.operatorUrl}/metrics`)).text()).toContain('parley_grants_total{outcome="issued"} 1');
  });
});

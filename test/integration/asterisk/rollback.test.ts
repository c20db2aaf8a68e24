import { describe, expect, it } from 'vitest';
import { APP, BOT_CONTEXT, finishedCalls, harnessPerTest } from './asterisk-harness.js';

// Each creation step fails the way Asterisk fails it (status and message from the ARI documents).
const steps = [
  ['channels.answer', 412, 'Channel in invalid state'],
  ['bridges.create', 409, 'Bridge with the same bridgeId already exists'],
  ['channels.externalMedia', 400, 'Provided format (ulaw) was not found'],
  ['channels.getChannelVar', 404, 'Provided variable was not found'],
  ['bridges.addChannel', 422, 'Channel not in Stasis application'],
] as const;

describe('Asterisk call setup rollback', () => {
  const harnesses = harnessPerTest();

  it.each(steps)('a failing %s leaves no bridge, channel or media session, and hangs up the caller', async (step, status, message) => {
    const harness = await harnesses.start();
    harness.ari.failNext(step, { status, message });
    const done = finishedCalls(harness.adapter, 1);
    const caller = harness.ari.placeCall(APP, { context: BOT_CONTEXT, exten: '7000' });
    await done;
    expect(harness.ari.requests.some((r) => r.nickname === step)).toBe(true);
    expect(harness.ari.channels.has(caller.id)).toBe(false);
    expect(harness.ari.bridges.size).toBe(0);
    expect(harness.ari.channels.size).toBe(0);
    expect(harness.media.sessionCount).toBe(0);
    expect(harness.bots.bots).toHaveLength(0);
    expect(harness.calls.size).toBe(0);
    // The caller is told it failed, not that the call ended normally.
    expect(harness.ari.requests.find((r) => r.nickname === 'channels.hangup' && r.query.reason === 'failure')).toBeDefined();
  });

  it('a chan_websocket that cannot be connected rolls back the same way', async () => {
    const harness = await harnesses.start({ config: { transport: 'websocket' } });
    harness.ari.failNext('media.connect', { status: 503, message: 'Service Unavailable' });
    const done = finishedCalls(harness.adapter, 1);
    harness.ari.placeCall(APP, { context: BOT_CONTEXT, exten: '7000' });
    await done;
    expect(harness.ari.bridges.size).toBe(0);
    expect(harness.ari.channels.size).toBe(0);
    expect(harness.ari.wsEndpoints.size).toBe(0);
    expect(harness.media.sessionCount).toBe(0);
  });

  it('a caller who hangs up during setup gets no bot and leaves nothing behind', async () => {
    const harness = await harnesses.start();
    const done = finishedCalls(harness.adapter, 1);
    const caller = harness.ari.placeCall(APP, { context: BOT_CONTEXT, exten: '7000' });
    // Hang up as soon as the bridge exists (between bridge creation and ExternalMedia).
    await new Promise<void>((resolve) => {
      const check = (): void => (harness.ari.bridges.size > 0 ? resolve() : void setImmediate(check));
      check();
    });
    harness.ari.callerHangsUp(caller.id);
    await done;
    expect(harness.bots.bots).toHaveLength(0);
    expect(harness.ari.bridges.size).toBe(0);
    expect(harness.ari.channels.size).toBe(0);
    expect(harness.media.sessionCount).toBe(0);
  });
});

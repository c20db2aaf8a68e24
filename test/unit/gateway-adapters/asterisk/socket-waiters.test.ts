import { describe, expect, it } from 'vitest';
import { SetupAbortedError } from '../../../../gateway-adapters/asterisk/errors.js';
import { SocketWaiters } from '../../../../gateway-adapters/asterisk/socket-waiters.js';

// What `promise` has come to once every microtask queued so far has run.
async function state(promise: Promise<unknown>): Promise<'resolved' | 'rejected' | 'pending'> {
  let outcome: 'resolved' | 'rejected' | 'pending' = 'pending';
  promise.then(() => (outcome = 'resolved'), () => (outcome = 'rejected'));
  await new Promise((resolve) => setImmediate(resolve));
  return outcome;
}

describe('SocketWaiters', () => {
  it('hands a socket to the call expecting its key, and refuses a key nobody expects', async () => {
    const waiters = new SocketWaiters<string>('test socket', 60_000);
    const { accepted, cancel } = waiters.expect('call-1');
    expect(waiters.deliver('call-2', 'socket-2')).toBe(false);
    expect(waiters.deliver('call-1', 'socket-1')).toBe(true);
    expect(await accepted).toBe('socket-1');
    expect(waiters.deliver('call-1', 'again')).toBe(false);
    cancel();
  });

  // A call torn down while it waits (its setup turn held, chan_websocket client mode) must not
  // wait on: cancelling rejects at once, and the key is no longer expected.
  it('rejects the wait with SetupAbortedError when cancelled', async () => {
    const waiters = new SocketWaiters<string>('test socket', 60_000);
    const { accepted, cancel } = waiters.expect('call-1');
    expect(await state(accepted)).toBe('pending');
    cancel();
    expect(await state(accepted)).toBe('rejected');
    await expect(accepted).rejects.toBeInstanceOf(SetupAbortedError);
    expect(waiters.deliver('call-1', 'late')).toBe(false);
  });
});

// What ends an embedded WebRTC call from below: ICE and DTLS states, no connection in time, and
// sends that keep failing. werift's peer and DTLS transport are stood in for by their events.
import type { RTCDtlsTransport, RTCPeerConnection } from 'werift';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TransportWatch, type TransportEndReason } from '../../../../gateway-adapters/webrtc/transport-watch.js';

type Listener = (state: string) => void;

function stateEvent() {
  const listeners = new Set<Listener>();
  return {
    listeners,
    subscribe: (listener: Listener) => {
      listeners.add(listener);
      return { unSubscribe: () => listeners.delete(listener) };
    },
    fire: (state: string) => {
      for (const listener of [...listeners]) listener(state);
    },
  };
}

function watched(options = { connectTimeoutMs: 30_000, maxConsecutiveSendFailures: 50 }) {
  const ice = stateEvent();
  const dtlsState = stateEvent();
  const dtls = { state: 'new', onStateChange: dtlsState };
  const watch = new TransportWatch({ iceConnectionStateChange: ice } as unknown as RTCPeerConnection, dtls as unknown as RTCDtlsTransport, options);
  let reason: TransportEndReason | undefined;
  void watch.ended.then((r) => (reason = r));
  const settled = async (): Promise<TransportEndReason | undefined> => {
    await Promise.resolve();
    await Promise.resolve();
    return reason;
  };
  return { watch, ice, dtls, dtlsState, settled };
}

describe('TransportWatch', () => {
  afterEach(() => vi.useRealTimers());

  it.each([
    ['ice', 'failed', 'webrtc_ice_failed'],
    ['ice', 'closed', 'webrtc_ice_closed'],
    ['dtls', 'failed', 'webrtc_dtls_failed'],
    ['dtls', 'closed', 'webrtc_dtls_closed'],
  ] as const)('ends on %s %s with %s, once, and lets go of the events', async (layer, state, expected) => {
    const w = watched();
    (layer === 'ice' ? w.ice : w.dtlsState).fire(state);
    w.dtlsState.fire('failed');
    expect(await w.settled()).toBe(expected);
    expect(w.ice.listeners.size + w.dtlsState.listeners.size).toBe(0);
  });

  it('ignores states that are not an end (checking, connected, disconnected)', async () => {
    const w = watched();
    for (const state of ['checking', 'connected', 'disconnected', 'completed']) w.ice.fire(state);
    w.dtlsState.fire('connecting');
    w.dtlsState.fire('connected');
    expect(await w.settled()).toBeUndefined();
  });

  it('ends a call whose DTLS is not up by the connect timeout, and not one that connected', async () => {
    vi.useFakeTimers();
    const late = watched();
    await vi.advanceTimersByTimeAsync(29_999);
    expect(await late.settled()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(await late.settled()).toBe('webrtc_connect_timeout');

    const connected = watched();
    connected.dtls.state = 'connected';
    connected.dtlsState.fire('connected');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(await connected.settled()).toBeUndefined();
  });

  it('ends after the set number of sends failing in a row; a success starts the count again', async () => {
    const w = watched({ connectTimeoutMs: 30_000, maxConsecutiveSendFailures: 50 });
    for (let i = 0; i < 49; i++) w.watch.sendFailed();
    w.watch.sendSucceeded();
    for (let i = 0; i < 49; i++) w.watch.sendFailed();
    expect(await w.settled()).toBeUndefined();
    w.watch.sendFailed();
    expect(await w.settled()).toBe('webrtc_send_failed');
  });

  it('says nothing once stopped: the call was closed from this side', async () => {
    const w = watched();
    w.watch.stop();
    w.dtlsState.fire('closed');
    w.ice.fire('closed');
    expect(await w.settled()).toBeUndefined();
  });
});

// The signaling socket with a leg whose media lives elsewhere (PBX mode: browser -> Janus ->
// Asterisk, the bot attached by the Asterisk adapter): answered, never a local Call, its end
// relayed, the maximum duration enforced by closing the leg, the caller's budget released.
import { Drain } from '../../../../engine/drain.js';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemorySessionRecords } from '../../../../api/grants/session-records.js';
import { SessionTokens } from '../../../../api/grants/session-token.js';
import type { WsConnection } from '../../../../api/http/http-types.js';
import { CallReservation } from '../../../../api/limits/call-reservation.js';
import { MemoryCallLimits } from '../../../../api/limits/memory-call-limits.js';
import type { BrowserCallLeg, RemoteCallLeg } from '../../../../api/signaling/browser-gateway.js';
import { DiagnosticsLog } from '../../../../api/signaling/diagnostics-log.js';
import { signalSocket, type SignalState } from '../../../../api/signaling/signal-socket.js';
import { CallRegistry } from '../../../../engine/call/call-registry.js';
import { CallService } from '../../../../engine/call/call-service.js';
import { MediaEngine } from '../../../../engine/media/media-engine.js';

const logger = pino({ level: 'silent' });
const CLIENT_IP = '203.0.113.7';
const MAX_CALL_SECONDS = 60;

function remoteLeg(): RemoteCallLeg & { endFromFarSide(reason: string): void } {
  let settle: (reason: string) => void = () => undefined;
  const ended = new Promise<string>((resolve) => (settle = resolve));
  return {
    answerSdp: 'v=0\r\ns=janus\r\n',
    ended,
    close: vi.fn(async (reason: string) => settle(reason)),
    endFromFarSide: (reason) => settle(reason),
  };
}

async function harness(leg: BrowserCallLeg) {
  const calls = new CallRegistry();
  const addCall = vi.spyOn(calls, 'add');
  const startBot = vi.fn(() => ({ stop: () => undefined }));
  const limits = new MemoryCallLimits({ perIpActive: 1, perIpPerHour: 10, globalActive: 10 });
  const release = vi.spyOn(limits, 'release');
  const handlers = signalSocket({
    tokens: new SessionTokens('a-unit-test-secret-that-is-long-enough-0123'),
    records: new MemorySessionRecords(),
    limits,
    gateway: { callMediaOptions: true, connect: () => Promise.resolve(leg) },
    calls: new CallService({ engine: new MediaEngine({ logger }), calls, startBot, maxCallMs: MAX_CALL_SECONDS * 1000, logger }),
    drain: new Drain(),
    diagnostics: new DiagnosticsLog(logger),
    maxCallSeconds: MAX_CALL_SECONDS,
    logger,
  });
  const sent: Array<Record<string, unknown>> = [];
  const connection: WsConnection = { send: (message) => sent.push(JSON.parse(message.toString()) as Record<string, unknown>), close: () => undefined, bufferedAmount: 0 };
  await limits.reserve(CLIENT_IP, 'call-remote-1', Date.now() + 60_000);
  const reservation = await CallReservation.claim(limits, CLIENT_IP, 'call-remote-1', Date.now() + MAX_CALL_SECONDS * 1000);
  if (!reservation) throw new Error('the test reservation was not held');
  const state: SignalState = {
    callId: 'call-remote-1',
    clientIp: CLIENT_IP,
    media: {},
    logger,
    reservation,
    connecting: false,
    connected: false,
    closed: false,
    endedSent: false,
    rejectedReasons: new Set(),
  };
  const message = (body: unknown): void => handlers.message(connection, state, Buffer.from(JSON.stringify(body)), false);
  return { calls, addCall, startBot, release, sent, state, message, close: () => handlers.close(connection, state, 1000) };
}

const sentOfType = (sent: Array<Record<string, unknown>>, type: string) => sent.filter((m) => m.type === type);

describe('signaling socket with a media-less leg', () => {
  afterEach(() => vi.useRealTimers());

  it('answers without creating a local Call, relays the far end and releases the budget', async () => {
    const leg = remoteLeg();
    const h = await harness(leg);
    h.message({ type: 'offer', sdp: 'v=0\r\n' });
    await vi.waitFor(() => expect(sentOfType(h.sent, 'answer')).toHaveLength(1));
    expect(sentOfType(h.sent, 'answer')[0]).toEqual({ type: 'answer', sdp: leg.answerSdp, callId: 'call-remote-1' });
    expect(h.addCall).not.toHaveBeenCalled();
    expect(h.calls.size).toBe(0);
    expect(h.startBot).not.toHaveBeenCalled();
    expect(h.state.call).toBeUndefined();

    // A second offer on the same socket is refused: one call per socket.
    h.message({ type: 'offer', sdp: 'v=0\r\n' });
    expect(sentOfType(h.sent, 'error')).toEqual([expect.objectContaining({ error: 'call_exists' })]);

    leg.endFromFarSide('janus_hangup');
    await vi.waitFor(() => expect(sentOfType(h.sent, 'ended')).toEqual([{ type: 'ended', reason: 'janus_hangup' }]));
    expect(h.release).toHaveBeenCalledWith(CLIENT_IP, 'call-remote-1');
    expect(leg.close).not.toHaveBeenCalled();
  });

  it('closes the leg at the maximum call duration and tells the browser', async () => {
    vi.useFakeTimers();
    const leg = remoteLeg();
    const h = await harness(leg);
    h.message({ type: 'offer', sdp: 'v=0\r\n' });
    await vi.waitFor(() => expect(sentOfType(h.sent, 'answer')).toHaveLength(1));
    await vi.advanceTimersByTimeAsync(MAX_CALL_SECONDS * 1000 - 1000);
    expect(leg.close).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1000);
    expect(leg.close).toHaveBeenCalledWith('max_duration');
    await vi.waitFor(() => expect(sentOfType(h.sent, 'ended')).toEqual([{ type: 'ended', reason: 'max_duration' }]));
    expect(h.release).toHaveBeenCalledWith(CLIENT_IP, 'call-remote-1');
    expect(h.calls.size).toBe(0);
  });

  it('closes the leg when the browser hangs up or the socket closes', async () => {
    const leg = remoteLeg();
    const h = await harness(leg);
    h.message({ type: 'offer', sdp: 'v=0\r\n' });
    await vi.waitFor(() => expect(sentOfType(h.sent, 'answer')).toHaveLength(1));
    h.close();
    expect(leg.close).toHaveBeenCalledWith('signaling_closed');
    await expect(leg.ended).resolves.toBe('signaling_closed');
    expect(h.release).toHaveBeenCalledWith(CLIENT_IP, 'call-remote-1');
    expect(h.addCall).not.toHaveBeenCalled();
  });

  it('tells the browser `ended` once when it hangs up, though the leg reports its end too', async () => {
    const leg = remoteLeg();
    const h = await harness(leg);
    h.message({ type: 'offer', sdp: 'v=0\r\n' });
    await vi.waitFor(() => expect(sentOfType(h.sent, 'answer')).toHaveLength(1));
    h.message({ type: 'hangup' });
    expect(leg.close).toHaveBeenCalledWith('caller_hangup');
    await expect(leg.ended).resolves.toBe('caller_hangup');
    // The leg's end is handled in a later turn: let it run before counting.
    await vi.waitFor(() => expect(h.release).toHaveBeenCalled());
    expect(sentOfType(h.sent, 'ended')).toEqual([{ type: 'ended', reason: 'caller_hangup' }]);
  });
});

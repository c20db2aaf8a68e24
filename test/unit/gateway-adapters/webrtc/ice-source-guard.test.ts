// The guard's rules, one datagram at a time, over a stand-in for werift's ICE connection (the
// integration test covers the same guard with real sockets and a werift peer).
import { CandidatePairState, Message, classes, methods } from 'werift';
import { describe, expect, it } from 'vitest';
import { WebRtcEdgeError } from '../../../../gateway-adapters/webrtc/errors.js';
import { IceSourceGuard, type IceRefusal } from '../../../../gateway-adapters/webrtc/ice-source-guard.js';

const LOCAL_UFRAG = 'edge';
const LOCAL_PASSWORD = 'edge-password-0123456789';
const REMOTE_UFRAG = 'brwsr';
const BROWSER: [string, number] = ['192.0.2.10', 50_000];

function bindingRequest(username: string | undefined, password: string | undefined): Buffer {
  const message = new Message(methods.BINDING, classes.REQUEST);
  if (username !== undefined) message.setAttribute('USERNAME', username);
  if (password !== undefined) message.addMessageIntegrity(Buffer.from(password, 'utf8'));
  return message.addFingerprint().bytes;
}

// RFC 6347 section 4.1: type, version 0xfefd, epoch, 6-byte sequence, length, fragment.
function dtlsRecord(contentType: number, epoch: number, fragment: number[]): Buffer {
  const header = Buffer.from([contentType, 0xfe, 0xfd, epoch >> 8, epoch & 0xff, 0, 0, 0, 0, 0, 1, 0, fragment.length]);
  return Buffer.concat([header, Buffer.from(fragment)]);
}

function setup(options: { dtlsConnected?: boolean } = {}) {
  const protocol = { type: 'stun' };
  const otherProtocol = { type: 'stun' };
  const connection: Record<string, unknown> = {
    localUsername: LOCAL_UFRAG,
    localPassword: LOCAL_PASSWORD,
    remoteUsername: REMOTE_UFRAG,
    checkList: [] as object[],
    ensureProtocol: () => undefined,
  };
  const refused: IceRefusal[] = [];
  const guard = new IceSourceGuard(connection, { dtlsConnected: () => options.dtlsConnected ?? false, onRefused: (reason) => refused.push(reason) });
  // A pair on `protocol` to the browser, in `state`, with `requestsReceived` authenticated checks
  // from the browser (the guard lets only those through to werift).
  const pair = (state: CandidatePairState, requestsReceived = 0): void => {
    (connection.checkList as object[]).push({ protocol, remoteCandidate: { host: BROWSER[0], port: BROWSER[1] }, state, requestsReceived });
  };
  const select = (): void => pair(CandidatePairState.SUCCEEDED);
  return { guard, protocol, otherProtocol, connection, refused, pair, select };
}

describe('IceSourceGuard', () => {
  it('lets through only binding requests with the call\'s USERNAME and MESSAGE-INTEGRITY', () => {
    const { guard, protocol, refused } = setup();
    expect(guard.admit(protocol, bindingRequest(`${LOCAL_UFRAG}:${REMOTE_UFRAG}`, LOCAL_PASSWORD), BROWSER)).toBe(true);
    expect(guard.admit(protocol, bindingRequest(`${LOCAL_UFRAG}:${REMOTE_UFRAG}`, 'guessed-password'), BROWSER)).toBe(false);
    expect(guard.admit(protocol, bindingRequest(`${LOCAL_UFRAG}:${REMOTE_UFRAG}`, undefined), BROWSER)).toBe(false);
    expect(guard.admit(protocol, bindingRequest(`${LOCAL_UFRAG}:someone`, LOCAL_PASSWORD), BROWSER)).toBe(false);
    expect(guard.admit(protocol, bindingRequest(undefined, LOCAL_PASSWORD), BROWSER)).toBe(false);
    expect(refused).toEqual(Array(4).fill('stun_unauthenticated'));
    // Responses go on to werift, which matches them to its transactions and checks their key.
    expect(guard.admit(protocol, new Message(methods.BINDING, classes.RESPONSE).addFingerprint().bytes, ['203.0.113.9', 3478])).toBe(true);
  });

  it('refuses a STUN-shaped datagram whose attributes do not parse', () => {
    const { guard, protocol, refused } = setup();
    const overrun = Buffer.from(bindingRequest(`${LOCAL_UFRAG}:${REMOTE_UFRAG}`, LOCAL_PASSWORD));
    overrun.writeUInt16BE(0xfff0, 22); // the first attribute claims more bytes than the message has
    expect(guard.admit(protocol, overrun, BROWSER)).toBe(false);
    expect(refused).toEqual(['stun_malformed']);
  });

  it('lets DTLS and SRTP through only from a pair that passed an authenticated check: its socket and its remote address', () => {
    const { guard, protocol, otherProtocol, refused, pair } = setup();
    const hello = dtlsRecord(22, 0, [1, 0, 0, 0]);
    // Signalled but not yet checked, or checked without success: not proven.
    pair(CandidatePairState.WAITING);
    pair(CandidatePairState.FAILED);
    expect(guard.admit(protocol, hello, BROWSER)).toBe(false);
    pair(CandidatePairState.SUCCEEDED);
    expect(guard.admit(protocol, hello, BROWSER)).toBe(true);
    expect(guard.admit(protocol, Buffer.from([0x80, 111, 0, 1]), BROWSER)).toBe(true);
    expect(guard.admit(protocol, hello, [BROWSER[0], BROWSER[1] + 1])).toBe(false);
    expect(guard.admit(protocol, hello, ['192.0.2.11', BROWSER[1]])).toBe(false);
    expect(guard.admit(otherProtocol, hello, BROWSER)).toBe(false);
    expect(refused).toEqual(Array(4).fill('unverified_source'));
  });

  it('counts the peer\'s own authenticated check as proof while werift\'s check is still in flight', () => {
    const { guard, protocol, pair } = setup();
    pair(CandidatePairState.IN_PROGRESS, 1);
    expect(guard.admit(protocol, dtlsRecord(22, 0, [2, 0, 0, 0]), BROWSER)).toBe(true);
  });

  it('drops a plaintext (epoch 0) alert from the selected address once DTLS is up, not before', () => {
    const closeNotify = dtlsRecord(21, 0, [1, 0]);
    const during = setup({ dtlsConnected: false });
    during.select();
    expect(during.guard.admit(during.protocol, closeNotify, BROWSER)).toBe(true);
    const after = setup({ dtlsConnected: true });
    after.select();
    expect(after.guard.admit(after.protocol, closeNotify, BROWSER)).toBe(false);
    expect(after.refused).toEqual(['dtls_plaintext_alert']);
    // A protected alert (epoch 1) is the peer's to send, and DTLS authenticates it.
    expect(after.guard.admit(after.protocol, dtlsRecord(21, 1, Array(26).fill(9)), BROWSER)).toBe(true);
  });

  it('guards each protocol werift creates, and refuses to run over one it does not know', () => {
    const { guard, connection } = setup();
    const ensured: object[] = [];
    connection.ensureProtocol = (protocol: object) => ensured.push(protocol);
    guard.install();
    const delivered: Buffer[] = [];
    const hostProtocol = { type: 'stun', datagramReceived: (data: Buffer, _from: [string, number]) => delivered.push(data) };
    (connection.ensureProtocol as (p: object) => void)(hostProtocol);
    expect(ensured).toEqual([hostProtocol]);
    hostProtocol.datagramReceived(dtlsRecord(21, 0, [2, 40]), BROWSER);
    expect(delivered).toEqual([]);
    expect(() => (connection.ensureProtocol as (p: object) => void)({ type: 'tcp' })).toThrow(WebRtcEdgeError);
  });
});

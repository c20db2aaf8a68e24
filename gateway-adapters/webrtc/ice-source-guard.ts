// Who may reach a call's DTLS and SRTP: only a candidate pair that passed an authenticated ICE
// connectivity check, and only STUN requests that carry the call's short-term credentials may
// reach ICE.
//
// werift 0.24 hands every non-STUN datagram that reaches an ICE socket to DTLS/SRTP without its
// source address (StunProtocol.datagramReceived -> onDataReceived(data)), and answers and acts on
// binding requests without checking USERNAME or MESSAGE-INTEGRITY (a role switch, a new prflx
// candidate and pair per source). One spoofed plaintext DTLS alert thus closed the call's DTLS.
// werift has no hook that sees both a datagram and its source (`filterStunResponse` runs after the
// role switch and only for requests), so the guard wraps the one entry point of each ICE protocol
// werift creates: StunProtocol.datagramReceived (host sockets) and
// StunOverTurnProtocol.handleStunMessage (relayed). It installs itself on Connection.ensureProtocol,
// which werift calls for every protocol before its socket is read. Each shape is checked, so a
// werift upgrade that moves them fails at call setup instead of leaving the calls unguarded.
//
// Why any authenticated pair and not only werift's `nominated` one: werift fixes `nominated` at
// the first nomination and never follows the controlling agent's later choice, and Chromium does
// move (it was seen answering DTLS and sending SRTP on another local candidate than werift's
// nominated pair). A pair qualifies once a check on it passed with the call's credentials in either
// direction: werift's own check answered with a MESSAGE-INTEGRITY werift verified (SUCCEEDED), or
// the peer's check, which reaches werift only through this guard's authentication. That is what
// libwebrtc receives on too (its connections exist only for authenticated sources).
import { CandidatePairState, isStunMessage, parseMessage, type CandidatePair } from 'werift';
import { countRefused } from '../../engine/metrics.js';
import { WebRtcEdgeError } from './errors.js';

type Address = readonly [string, number];
type DatagramHandler = (data: Buffer, addr: Address) => void;

// What the guard reads and wraps in werift's ICE connection (werift's `Connection`, whose
// `ensureProtocol` is private in its typings).
interface GuardedConnection {
  localUsername: string;
  localPassword: string;
  remoteUsername: string;
  checkList: CandidatePair[];
  ensureProtocol: (protocol: object) => void;
}

// RFC 5389 section 6: the class bits of the message type.
const STUN_REQUEST_CLASS = 0x0000;
// RFC 6347 section 4.1: content type 21 is an alert; the epoch follows the 2-byte version.
const DTLS_ALERT = 21;
const DTLS_EPOCH_OFFSET = 3;
const DTLS_RECORD_HEADER_BYTES = 13;

export type IceRefusal = 'stun_malformed' | 'stun_unauthenticated' | 'unverified_source' | 'dtls_plaintext_alert';

export interface IceSourceGuardOptions {
  // True once the DTLS handshake has completed: from then on the peer protects its alerts.
  dtlsConnected: () => boolean;
  // Called for each datagram dropped (after it is counted), e.g. to log once per reason.
  onRefused?: (reason: IceRefusal, from: Address) => void;
}

function isGuardedConnection(connection: unknown): connection is GuardedConnection {
  const c = connection as Partial<GuardedConnection> | undefined;
  return (
    typeof c?.ensureProtocol === 'function' &&
    Array.isArray(c.checkList) &&
    typeof c.localUsername === 'string' &&
    typeof c.localPassword === 'string'
  );
}

export class IceSourceGuard {
  private readonly connection: GuardedConnection;

  constructor(
    connection: unknown,
    private readonly options: IceSourceGuardOptions,
  ) {
    if (!isGuardedConnection(connection)) {
      throw new WebRtcEdgeError('cannot guard werift\'s ICE connection: check the werift version');
    }
    this.connection = connection;
  }

  // Before gathering (setLocalDescription): every protocol werift creates from then on is guarded.
  install(): void {
    const connection = this.connection;
    const ensureProtocol = connection.ensureProtocol.bind(connection);
    connection.ensureProtocol = (protocol: object) => {
      this.wrap(protocol);
      ensureProtocol(protocol);
    };
  }

  // Whether a datagram received on `protocol` from `from` may go on to werift's ICE, DTLS or SRTP.
  admit(protocol: object, data: Buffer, from: Address): boolean {
    const reason = this.refusal(protocol, data, from);
    if (reason === undefined) return true;
    countRefused('webrtc', reason);
    this.options.onRefused?.(reason, from);
    return false;
  }

  private refusal(protocol: object, data: Buffer, from: Address): IceRefusal | undefined {
    // RFC 7983 section 7: a first byte of 0..3 with the magic cookie is STUN.
    if (isStunMessage(data)) return this.stunRefusal(data);
    if (!this.verified(protocol, from)) return 'unverified_source';
    // A verified pair's address can be spoofed off-path: an unprotected alert after the handshake
    // is not the peer's (it protects alerts with the negotiated keys, RFC 6347 section 4.1.2.1),
    // and werift would close DTLS on it.
    if (
      data.length >= DTLS_RECORD_HEADER_BYTES &&
      data[0] === DTLS_ALERT &&
      data.readUInt16BE(DTLS_EPOCH_OFFSET) === 0 &&
      this.options.dtlsConnected()
    ) {
      return 'dtls_plaintext_alert';
    }
    return undefined;
  }

  private verified(protocol: object, [host, port]: Address): boolean {
    return this.connection.checkList.some(
      (pair) =>
        pair.protocol === protocol &&
        pair.remoteCandidate.host === host &&
        pair.remoteCandidate.port === port &&
        (pair.state === CandidatePairState.SUCCEEDED || pair.requestsReceived > 0),
    );
  }

  // Responses are matched to werift's own transactions and checked against their key by werift.
  // Requests must be authenticated here (RFC 8445 section 7.3, RFC 5389 section 10.1.2): USERNAME
  // "our ufrag:peer ufrag" and a MESSAGE-INTEGRITY keyed with our password. Refused silently rather
  // than with a 401, so a spoofed source gets nothing back (no reflection).
  private stunRefusal(data: Buffer): IceRefusal | undefined {
    const message = parseMessage(data);
    if (!message) return 'stun_malformed';
    if (message.messageClass !== STUN_REQUEST_CLASS) return undefined;
    const { localUsername, remoteUsername, localPassword } = this.connection;
    if (message.getAttributeValue('USERNAME') !== `${localUsername}:${remoteUsername}`) return 'stun_unauthenticated';
    if (!parseMessage(data, Buffer.from(localPassword, 'utf8'))) return 'stun_unauthenticated';
    return undefined;
  }

  private wrap(protocol: object): void {
    // StunProtocol (host candidates) reads its socket through datagramReceived; StunOverTurnProtocol
    // (relay candidates) through handleStunMessage. Both are looked up on the instance per datagram.
    const entry = (['datagramReceived', 'handleStunMessage'] as const).find(
      (name) => typeof (protocol as Record<string, unknown>)[name] === 'function',
    );
    if (!entry) {
      throw new WebRtcEdgeError(`cannot guard werift's ICE protocol ${(protocol as { type?: string }).type ?? '?'}: check the werift version`);
    }
    const target = protocol as Record<string, DatagramHandler>;
    const original = target[entry]!.bind(protocol);
    target[entry] = (data: Buffer, addr: Address) => {
      if (this.admit(protocol, data, addr)) original(data, addr);
    };
  }
}

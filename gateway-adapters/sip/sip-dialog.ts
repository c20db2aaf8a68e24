// One incoming call's dialog on the UAS side (RFC 3261 section 12.1.1): its identifiers, the
// INVITE server transaction's state, and the BYE Parley sends when the call ends on its side.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { MediaLeg } from '../../engine/call/media-leg.js';
import type { LocalMedia, Negotiation } from './sdp-offer-answer.js';
import type { StreamConnection, StreamTransport } from './sip-stream-listener.js';
import { Retransmitter, type SipTimerSettings } from './retransmitter.js';
import { parseCSeq, parseNameAddr, serializeRequest, withTag, type SipRequest } from './sip-message.js';

export interface SipPeer {
  address: string;
  port: number;
  // Absent: UDP. A stream peer is answered on its own connection (RFC 3261 section 18.2.2).
  transport?: StreamTransport;
  connection?: StreamConnection;
}

export type DialogState = 'proceeding' | 'accepted' | 'confirmed' | 'ended';

export function newTag(): string {
  return randomBytes(8).toString('hex');
}

export function newBranch(): string {
  // The magic cookie marks an RFC 3261 branch (section 8.1.1.7).
  return `z9hG4bK${randomBytes(10).toString('hex')}`;
}

export class SipDialog {
  readonly callId: string;
  readonly localTag = newTag();
  readonly sipCallId: string;
  readonly remoteTag: string | undefined;
  readonly remoteTarget: string;
  readonly from: string;
  readonly to: string;
  state: DialogState = 'proceeding';
  readonly startedAtMs = Date.now();
  media: MediaLeg | undefined;
  // The offer/answer in force, and the local SDP origin it was answered with: a re-offer is
  // answered against them (RFC 3264 section 8: same session id, next version).
  negotiation: Negotiation | undefined;
  localMedia: LocalMedia | undefined;
  answerSdp = '';
  // Retransmits the INVITE's (or a re-INVITE's) final response until the ACK (2xx or not).
  finalResponse: Retransmitter | undefined;
  ringTimer: NodeJS.Timeout | undefined;
  private localCSeq = 1;
  private bye: Retransmitter | undefined;
  private byeBranch: string | undefined;

  readonly logger: Logger;

  constructor(
    readonly invite: SipRequest,
    readonly peer: SipPeer,
    loggerFor: (callId: string) => Logger,
    // Parley's id for the call: the browser session's when Janus forwarded one, else a new one.
    callId: string = randomUUID(),
  ) {
    this.callId = callId;
    const h = invite.headers;
    this.sipCallId = h.get('call-id')!;
    const from = parseNameAddr(h.get('from')!);
    this.remoteTag = from.params.get('tag');
    this.from = from.uri;
    this.to = parseNameAddr(h.get('to')!).uri;
    const contact = h.get('contact');
    this.remoteTarget = contact ? parseNameAddr(contact).uri : this.from;
    this.logger = loggerFor(this.callId).child({ sipCallId: this.sipCallId });
  }

  get dialogKey(): string {
    return dialogKey(this.sipCallId, this.localTag, this.remoteTag);
  }

  // Sends BYE (section 15.1.1): From is the INVITE's To with our tag, To is its From; the request
  // goes to where the INVITE came from (symmetric, as Janus and NATed UAs expect). The Reason
  // header (RFC 3326) carries Parley's end reason, a constant of its code, never input.
  sendBye(send: (datagram: Buffer, peer: SipPeer) => void, local: SipPeer, timers: SipTimerSettings, reason: string): void {
    const h = this.invite.headers;
    this.localCSeq = parseCSeq(h.get('cseq')).seq + 1;
    this.byeBranch = newBranch();
    const datagram = serializeRequest('BYE', this.remoteTarget, [
      ['Via', `SIP/2.0/${this.peer.transport ?? 'UDP'} ${local.address}:${local.port};branch=${this.byeBranch};rport`],
      ['Max-Forwards', '70'],
      ['From', withTag(h.get('to')!, this.localTag)],
      ['To', h.get('from')!],
      ['Call-ID', this.sipCallId],
      ['CSeq', `${this.localCSeq} BYE`],
      ['User-Agent', 'Parley'],
      ['Reason', reasonHeader(reason)],
    ]);
    this.bye = new Retransmitter(() => send(datagram, this.peer), timers, () => this.logger.warn('no answer to our BYE'));
    this.bye.start();
  }

  // A response to our BYE ends its retransmissions (any final status ends the dialog anyway).
  onByeResponse(branch: string | undefined): boolean {
    if (!this.byeBranch || branch !== this.byeBranch) return false;
    this.bye?.stop();
    return true;
  }

  // Our BYE is out and not answered yet (retransmitting).
  get byePending(): boolean {
    return this.bye?.running ?? false;
  }

  stopTimers(): void {
    this.finalResponse?.stop();
    clearTimeout(this.ringTimer);
  }

  stopAll(): void {
    this.stopTimers();
    this.bye?.stop();
  }
}

export function dialogKey(sipCallId: string, localTag: string | undefined, remoteTag: string | undefined): string {
  return `${sipCallId}|${localTag ?? ''}|${remoteTag ?? ''}`;
}

// Q.850 cause 41 (temporary failure) when Parley's side failed, 16 (normal clearing) otherwise.
const FAILURE_REASONS = new Set(['media_worker_failed', 'ack_timeout']);

export function reasonHeader(reason: string): string {
  return `Q.850;cause=${FAILURE_REASONS.has(reason) ? 41 : 16};text="${reason.replace(/[^\w.-]/g, '_')}"`;
}

// The direct-mode SIP endpoint: a UAS over UDP for one bot URI (RFC 3261), answering INVITE with
// an RFC 3264 answer and a native RTP session, and ACK, BYE, CANCEL and OPTIONS. Everything from
// outside is checked here: the source against the allowlist (403), the Request-URI against the bot
// user (404) and domains (403), the message (400 and the specific 4xx/5xx statuses), the SDP (400
// or 488). Bad input is answered and counted; it never ends another call or the process.
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { BlockList, isIPv4 } from 'node:net';
import type { Logger } from 'pino';
import type { CallService } from '../../engine/call/call-service.js';
import type { MediaLeg } from '../../engine/call/media-leg.js';
import { callLogger } from '../../engine/logger.js';
import { DRAIN_RETRY_AFTER_SECONDS } from '../../engine/drain.js';
import { CallCapError, type CallSlot } from '../../engine/call/call-cap.js';
import type { RtpSessionOptions, SessionOptions } from '../../engine/media/media-session-options.js';
import { counter, countRefused } from '../../engine/metrics.js';
import { opusCodingRateHz } from '../../engine/media/opus-fmtp.js';
import { SipParseError, SipRejection } from './errors.js';
import { Retransmitter } from './retransmitter.js';
import { buildAnswer, negotiate, needsNewLeg, networkCodecOf, renegotiate, sendsMedia, type NegotiatedAudio, type Negotiation, type SdpPolicy } from './sdp-offer-answer.js';
import { reasonHeader, dialogKey, newTag, SipDialog, type SipPeer } from './sip-dialog.js';
import { SipStreamListener, type StreamTransport } from './sip-stream-listener.js';
import { sipEndpointOptionsSchema, type SipEndpointOptions, type SipEndpointSettings } from './sip-endpoint-options.js';
import { methodLabel, parseCSeq, parseNameAddr, parseSipMessage, parseSipUri, responseTo, viaBranch, type SipMessage, type SipRequest, type SipResponse } from './sip-message.js';

// From allowlisted sources only, by method (unknown methods as 'other': the label set is closed).
const requestsTotal = counter('parley_sip_requests_total', 'SIP requests received from allowed sources, by method', ['method']);

// Reasons of parley_refused_total{surface="sip"}; answered refusals are counted as `rejected_<status>`.
const REFUSED = {
  notSip: 'not_sip',
  noVia: 'no_via',
  strayResponse: 'stray_response',
  internalError: 'internal_error',
  sourceNotAllowed: 'source_not_allowed',
  // A 403 to an unverified source is only sent when it is no larger than the request.
  refusalLargerThanRequest: 'refusal_larger_than_request',
} as const;

const ALLOW = 'INVITE, ACK, BYE, CANCEL, OPTIONS';
// Covers the BYE's first retransmissions (T1, 2*T1 at the default T1 of 500 ms, RFC 3261 section
// 17.1.2.2) on close; polled, as dialogs have no event for their BYE's answer.
const BYE_WAIT_ON_CLOSE_MS = 2000;
const BYE_POLL_MS = 20;
// Set by Parley's Janus driver on the INVITE it has Janus send, so the browser's signaling
// session and this SIP call meet (see gateway-adapters/janus/janus-sip-gateway.ts).
export const CORRELATION_HEADER = 'X-Parley-Session';

export interface SipEndpointDeps {
  // Places each call's RTP leg and owns the call once answered (bot, maximum duration, end).
  calls: CallService;
  logger: Logger;
  // Where RTP sessions bind, and the address written into SDP when it differs (NAT).
  media: { host: string; advertisedHost?: string; session?: SessionOptions };
}

interface ServerTransaction {
  last: Buffer;
  peer: SipPeer;
  retransmitter?: Retransmitter;
  dialog?: SipDialog;
}

interface CallWaiter {
  resolve: (media: MediaLeg) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class SipEndpoint {
  private readonly dialogs = new Map<string, SipDialog>();
  private readonly transactions = new Map<string, ServerTransaction>();
  private readonly waiters = new Map<string, CallWaiter>();
  private readonly allowed = new BlockList();
  private readonly loggedReasons = new Set<string>();
  private sessionVersion = 1;
  private refusing = false;

  private readonly streams: SipStreamListener[] = [];

  private constructor(
    private readonly socket: Socket,
    private readonly settings: SipEndpointSettings,
    private readonly deps: SipEndpointDeps,
  ) {
    for (const source of settings.allowedSources) {
      const [address, bits] = source.split('/');
      if (!address || !isIPv4(address)) throw new SipRejection(500, `allowedSources: not an IPv4 address or CIDR: ${source}`);
      this.allowed.addSubnet(address, bits === undefined ? 32 : Number(bits), 'ipv4');
    }
    socket.on('message', (datagram, remote) => this.onMessage(datagram, { address: remote.address, port: remote.port }));
    socket.on('error', (error) => deps.logger.error({ err: error }, 'SIP socket error'));
  }

  static async start(options: SipEndpointOptions, deps: SipEndpointDeps): Promise<SipEndpoint> {
    const settings = sipEndpointOptionsSchema.parse(options);
    const socket = createSocket('udp4');
    socket.bind(settings.port, settings.host);
    await once(socket, 'listening');
    const endpoint = new SipEndpoint(socket, settings, deps);
    try {
      // TCP on the port UDP got (port 0 picks one for both).
      if (settings.tcp) endpoint.streams.push(await endpoint.listenStream('TCP', { host: settings.host, port: socket.address().port }));
      if (settings.tls) endpoint.streams.push(await endpoint.listenStream('TLS', { host: settings.host, ...settings.tls }));
    } catch (error) {
      await endpoint.close();
      throw error;
    }
    return endpoint;
  }

  private listenStream(transport: StreamTransport, where: { host: string; port: number; certFile?: string; keyFile?: string }): Promise<SipStreamListener> {
    const { maxMessageBytes, maxConnectionsPerSource, maxConnections, connectionIdleMs } = this.settings;
    return SipStreamListener.listen(transport, where, { maxMessageBytes, maxConnectionsPerSource, maxConnections, idleMs: connectionIdleMs }, {
      allowed: (address) => this.sourceAllowed({ address, port: 0 }),
      message: (message, peer) => this.onMessage(message, peer),
      refused: (reason, address) => {
        countRefused('sip', `stream_${reason}`);
        this.logOnce(`stream_${reason}`, { source: address, transport }, 'refusing or closing a SIP stream connection (further ones only counted)');
      },
    });
  }

  // The TLS listener's port (TCP shares UDP's), for tests and logs.
  get tlsPort(): number | undefined {
    return this.streams.find((stream) => stream.transport === 'TLS')?.port;
  }

  get local(): SipPeer {
    const { address, port } = this.socket.address();
    return { address, port };
  }

  // Server transactions kept for retransmissions (only ever for allowlisted sources).
  get openTransactions(): number {
    return this.transactions.size;
  }

  get activeCalls(): number {
    let count = 0;
    for (const dialog of this.dialogs.values()) if (dialog.state !== 'ended') count++;
    return count;
  }

  // Direct mode: the media of the call whose INVITE carries `X-Parley-Session: <correlationId>`,
  // once its dialog is confirmed. The caller then owns the call (and its bot).
  expectCall(correlationId: string, timeoutMs: number): Promise<MediaLeg> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(correlationId);
        reject(new SipRejection(408, 'the SIP call did not arrive in time'));
      }, timeoutMs);
      this.waiters.set(correlationId, { resolve, reject, timer });
    });
  }

  cancelExpectation(correlationId: string): void {
    const waiter = this.waiters.get(correlationId);
    if (!waiter) return;
    clearTimeout(waiter.timer);
    this.waiters.delete(correlationId);
  }

  // Draining: new INVITEs get 503 with Retry-After (RFC 3261 section 21.5.4); live dialogs and
  // re-INVITEs go on.
  refuseNewCalls(): void {
    this.refusing = true;
  }

  async close(): Promise<void> {
    await this.byesAnswered();
    for (const dialog of this.dialogs.values()) {
      void dialog.media?.close('shutdown');
      dialog.stopAll();
    }
    for (const transaction of this.transactions.values()) transaction.retransmitter?.stop();
    for (const waiter of this.waiters.values()) clearTimeout(waiter.timer);
    for (const stream of this.streams) await stream.close();
    this.socket.close();
    await once(this.socket, 'close');
  }

  // Our BYEs still unanswered (a drain ends calls, then closes) get a bounded wait before the
  // socket goes: closing at once would drop the BYE still queued on it and leave the peer's call up.
  private async byesAnswered(): Promise<void> {
    const deadline = performance.now() + Math.min(BYE_WAIT_ON_CLOSE_MS, 64 * this.settings.t1Ms);
    while ([...this.dialogs.values()].some((dialog) => dialog.byePending) && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, BYE_POLL_MS));
    }
  }

  private send(datagram: Buffer, peer: SipPeer): void {
    if (peer.connection) peer.connection.write(datagram);
    else this.socket.send(datagram, peer.port, peer.address);
  }

  // Where Parley is for `peer`'s transport (Via and Contact).
  private localFor(peer: SipPeer): SipPeer {
    const { address, port } = this.local;
    return { address, port: peer.transport === 'TLS' ? this.tlsPort! : port };
  }

  private contact(peer: SipPeer): string {
    const { address, port } = this.localFor(peer);
    return `<sip:${this.settings.botUser}@${address}:${port}${peer.transport ? `;transport=${peer.transport.toLowerCase()}` : ''}>`;
  }

  private logOnce(reason: string, fields: Record<string, unknown>, message: string): void {
    if (this.loggedReasons.has(reason)) return;
    this.loggedReasons.add(reason);
    this.deps.logger.warn(fields, message);
  }

  private onMessage(datagram: Buffer, peer: SipPeer): void {
    try {
      const message = parseSipMessage(datagram);
      if (!this.sourceAllowed(peer)) {
        this.refuseUnverified(message, peer, datagram.length);
        return;
      }
      if (message.kind === 'response') this.onResponse(message);
      else this.onRequest(message, peer);
    } catch (error) {
      if (error instanceof SipParseError) {
        countRefused('sip', REFUSED.notSip);
        this.logOnce(REFUSED.notSip, { source: peer.address }, 'dropping datagrams that are not SIP');
        return;
      }
      // Never let one bad datagram take the endpoint down; it is a bug to fix if it shows up.
      // Logged once (with its stack), counted always: a flood of one bug is not a flood of logs.
      countRefused('sip', REFUSED.internalError);
      this.logOnce(REFUSED.internalError, { err: error, source: peer.address }, 'SIP datagram handling failed (further failures only counted)');
    }
  }

  // A datagram from outside the allowlist. Its source address is unverified (UDP is trivially
  // spoofed), so answering it could reflect traffic at a victim. RFC 3261 section 17.2.1 has a
  // server transaction retransmit its final response to INVITE until the ACK; that reliability is
  // owed to a peer we serve, not to an address we refuse: here no transaction is created, the 403
  // goes out once per datagram received, in its smallest form, and only when it is no larger than
  // the request that caused it. Amplification is therefore at most 1:1 in packets and bytes, and a
  // genuine but misconfigured client still learns why (its own retransmissions each get a 403).
  private refuseUnverified(message: SipMessage, peer: SipPeer, requestBytes: number): void {
    countRefused('sip', REFUSED.sourceNotAllowed);
    this.logOnce(REFUSED.sourceNotAllowed, { source: peer.address }, 'refusing SIP from a source outside the allowlist (further ones only counted)');
    if (message.kind === 'response' || message.method === 'ACK' || message.headers.all('via').length === 0) return;
    const refusal = responseTo(message, 403, 'Forbidden', { toTag: newTag(), bare: true });
    if (refusal.length > requestBytes) {
      countRefused('sip', REFUSED.refusalLargerThanRequest);
      return;
    }
    this.send(refusal, peer);
  }

  private sourceAllowed(peer: SipPeer): boolean {
    return isIPv4(peer.address) && this.allowed.check(peer.address, 'ipv4');
  }

  private onResponse(response: SipResponse): void {
    const callId = response.headers.get('call-id');
    const branch = viaBranch(response.headers.get('via') ?? '');
    for (const dialog of this.dialogs.values()) {
      if (dialog.sipCallId === callId && dialog.onByeResponse(branch)) return;
    }
    countRefused('sip', REFUSED.strayResponse);
  }

  private reject(request: SipRequest, peer: SipPeer, rejection: SipRejection, key?: string): void {
    if (!rejection.countedElsewhere) this.countRejection(request, peer, rejection);
    const datagram = responseTo(request, rejection.status, rejection.reason, { toTag: newTag(), headers: rejection.extraHeaders });
    if (request.method === 'INVITE' && key) this.sendInviteFinal(key, peer, datagram);
    else if (key) this.sendNonInviteFinal(key, peer, datagram);
    else this.send(datagram, peer);
  }

  private countRejection(request: SipRequest, peer: SipPeer, rejection: SipRejection): void {
    countRefused('sip', `rejected_${rejection.status}`);
    this.logOnce(`${rejection.status}`, { status: rejection.status, reason: rejection.reason, source: peer.address, method: request.method.slice(0, 32) }, 'refusing SIP request (further ones with this status only counted)');
  }

  private onRequest(request: SipRequest, peer: SipPeer): void {
    requestsTotal.inc({ method: methodLabel(request.method) });
    const h = request.headers;
    if (request.method === 'ACK') {
      this.onAck(request);
      return;
    }
    if (h.all('via').length === 0) {
      // A response is routed by Via (section 18.2.2): without one there is nowhere to answer.
      countRefused('sip', REFUSED.noVia);
      this.logOnce(REFUSED.noVia, { source: peer.address }, 'dropping SIP requests without Via');
      return;
    }
    try {
      this.checkRequest(request);
    } catch (error) {
      if (error instanceof SipRejection) this.reject(request, peer, error);
      else throw error;
      return;
    }
    const key = transactionKey(request);
    const existing = this.transactions.get(key);
    if (existing) {
      // A retransmitted request: answer it again with the last response (section 17.2).
      this.send(existing.last, peer);
      return;
    }
    try {
      this.dispatch(request, peer, key);
    } catch (error) {
      if (error instanceof SipRejection) this.reject(request, peer, error, key);
      else throw error;
    }
  }

  // Section 8.2: the checks every request passes before its method is looked at.
  private checkRequest(request: SipRequest): void {
    const h = request.headers;
    if (request.version !== '2.0') throw new SipRejection(505, 'Version Not Supported');
    if (request.malformed) throw new SipRejection(400, request.malformed);
    for (const name of ['from', 'to', 'call-id', 'cseq'] as const) {
      if (!h.get(name)) throw new SipRejection(400, `Missing ${name}`);
    }
    const cseq = parseCSeq(h.get('cseq'));
    if (cseq.method !== request.method) throw new SipRejection(400, 'CSeq method does not match');
    parseNameAddr(h.get('from')!);
    parseNameAddr(h.get('to')!);
    const maxForwards = h.get('max-forwards');
    if (maxForwards !== undefined && !/^\d{1,3}$/.test(maxForwards)) throw new SipRejection(400, 'Bad Max-Forwards');
    if (maxForwards === '0' && request.method !== 'OPTIONS') throw new SipRejection(483, 'Too Many Hops');
    const required = h.all('require');
    if (required.length > 0) throw new SipRejection(420, 'Bad Extension', [['Unsupported', required.join(', ')]]);
  }

  private dispatch(request: SipRequest, peer: SipPeer, key: string): void {
    switch (request.method) {
      case 'INVITE':
        this.onInvite(request, peer, key);
        return;
      case 'CANCEL':
        this.onCancel(request, peer, key);
        return;
      case 'BYE':
        this.onBye(request, peer, key);
        return;
      case 'OPTIONS':
        this.sendNonInviteFinal(key, peer, responseTo(request, 200, 'OK', { toTag: newTag(), headers: capabilityHeaders() }));
        return;
      default:
        throw new SipRejection(405, 'Method Not Allowed', [['Allow', ALLOW]]);
    }
  }

  private findDialog(request: SipRequest): SipDialog | undefined {
    const h = request.headers;
    const localTag = parseNameAddr(h.get('to')!).params.get('tag');
    const remoteTag = parseNameAddr(h.get('from')!).params.get('tag');
    return this.dialogs.get(dialogKey(h.get('call-id')!, localTag, remoteTag));
  }

  private onInvite(request: SipRequest, peer: SipPeer, key: string): void {
    const h = request.headers;
    if (parseNameAddr(h.get('to')!).params.has('tag')) {
      this.onReInvite(request, peer, key);
      return;
    }
    this.checkTarget(request.uri);
    if (this.refusing) throw new SipRejection(503, 'Service Unavailable', [['Retry-After', String(DRAIN_RETRY_AFTER_SECONDS)]]);
    const contentType = (h.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (request.body.length === 0) throw new SipRejection(488, 'Not Acceptable Here: an SDP offer is required');
    if (contentType !== 'application/sdp') throw new SipRejection(415, 'Unsupported Media Type', [['Accept', 'application/sdp']]);
    const correlation = h.get(CORRELATION_HEADER);
    if (correlation !== undefined && !this.waiters.has(correlation)) throw new SipRejection(480, 'Temporarily Unavailable');
    const negotiation = negotiate(request.body, this.sdpPolicy());
    const slot = this.admit();

    const dialog = new SipDialog(request, peer, (callId) => callLogger(callId, this.deps.logger), correlation);
    dialog.negotiation = negotiation;
    this.dialogs.set(dialog.dialogKey, dialog);
    const transaction: ServerTransaction = { last: responseTo(request, 100, 'Trying'), peer, dialog };
    this.transactions.set(key, transaction);
    this.send(transaction.last, peer);
    void this.offerMedia(dialog, transaction, key, slot);
  }

  // The node-wide cap and this endpoint's share of it, sip.maxCalls (the call service counted and
  // logged the refusal): 503 with Retry-After.
  private admit(): CallSlot {
    try {
      return this.deps.calls.admit('sip', this.settings.maxCalls);
    } catch (error) {
      if (!(error instanceof CallCapError)) throw error;
      throw new SipRejection(503, 'Service Unavailable', [['Retry-After', String(error.retryAfterSeconds)]], true);
    }
  }

  // The call service places the RTP leg (on a media worker by default): only then is there a
  // port to answer with. A CANCEL meanwhile has already answered 487; the leg is let go.
  private async offerMedia(dialog: SipDialog, transaction: ServerTransaction, key: string, slot: CallSlot): Promise<void> {
    const negotiation = dialog.negotiation!;
    let leg: MediaLeg;
    try {
      leg = await this.deps.calls.createRtpLeg(dialog.callId, this.rtpOptions(negotiation.audio), slot);
    } catch (error) {
      // negotiate() hands over only values the session accepts; what is left is ours (no free
      // port, native failure, no worker): answered 500, logged with the call id, the endpoint
      // goes on.
      dialog.logger.error({ err: error }, 'cannot create the media session for a SIP call');
      if (dialog.state !== 'proceeding') return;
      dialog.state = 'ended';
      this.reject(dialog.invite, dialog.peer, new SipRejection(500, 'Server Internal Error'), key);
      this.rejectWaiter(dialog, 'no media for the call');
      this.forgetDialog(dialog);
      return;
    }
    if (dialog.state !== 'proceeding') {
      this.deps.calls.endUnanswered(leg, 'caller_cancel', dialog.startedAtMs, dialog.logger);
      return;
    }
    dialog.media = leg;
    leg.setPaused(!sendsMedia(negotiation.audio.direction));
    dialog.localMedia = {
      host: this.deps.media.advertisedHost ?? this.deps.media.host,
      port: leg.localPort ?? 0,
      sessionId: Date.now(),
      sessionVersion: this.sessionVersion++,
    };
    dialog.answerSdp = buildAnswer(negotiation, dialog.localMedia);
    const { peer } = dialog;
    dialog.logger.info({ from: dialog.from, codec: negotiation.audio.codec, srtp: negotiation.audio.srtp?.suite ?? false, packetMs: negotiation.audio.packetMs, transport: peer.transport ?? 'UDP', placement: leg.placement }, 'SIP call offered');

    leg.once('ended', (reason) => this.onMediaEnded(dialog, reason, key));
    if (this.settings.ringMs === 0) {
      this.accept(dialog, key);
      return;
    }
    transaction.last = responseTo(dialog.invite, 180, 'Ringing', { toTag: dialog.localTag });
    this.send(transaction.last, peer);
    dialog.ringTimer = setTimeout(() => this.accept(dialog, key), this.settings.ringMs);
  }

  private sdpPolicy(): SdpPolicy {
    return { codecs: this.settings.codecs, srtp: this.settings.srtp, opusDtx: this.settings.opusDtx, opusCodingRateHz: opusCodingRateHz(this.deps.media.session) };
  }

  private rtpOptions(audio: NegotiatedAudio): RtpSessionOptions {
    return {
      ...this.deps.media.session,
      codec: audio.codec,
      payloadType: audio.payloadType,
      telephoneEventPayloadType: audio.telephoneEventPayloadType,
      telephoneEventClockHz: audio.telephoneEventClockHz,
      comfortNoisePayloadType: audio.comfortNoisePayloadType,
      packetMs: audio.packetMs,
      localHost: this.deps.media.host,
      remoteHost: audio.remoteHost,
      remotePort: audio.remotePort,
      rtcp: audio.rtcpMux ? 'mux' : 'pair',
      rtcpRemotePort: audio.rtcpMux ? undefined : audio.rtcpPort,
      srtp: audio.srtp ? { profile: audio.srtp.suite, localKey: audio.srtp.localKey, remoteKey: audio.srtp.remoteKey } : undefined,
    };
  }

  // Only the bot's user part answers, and only for this endpoint's domains: Parley never routes
  // a call onward, so no Request-URI can make it dial out.
  private checkTarget(uri: string): void {
    const target = parseSipUri(uri);
    if (target.scheme !== 'sip') throw new SipRejection(416, 'Unsupported URI Scheme');
    if (target.user !== this.settings.botUser) throw new SipRejection(404, 'Not Found');
    const ownHosts = [this.local.address, this.deps.media.advertisedHost].filter((host) => host !== undefined);
    if (this.settings.domains.length > 0 && ![...this.settings.domains, ...ownHosts].includes(target.host)) {
      throw new SipRejection(403, 'Forbidden');
    }
  }

  private accept(dialog: SipDialog, key: string): void {
    if (dialog.state !== 'proceeding') return;
    dialog.state = 'accepted';
    const ok = responseTo(dialog.invite, 200, 'OK', {
      toTag: dialog.localTag,
      headers: [['Contact', this.contact(dialog.peer)], ['Content-Type', 'application/sdp'], ...capabilityHeaders()],
      body: dialog.answerSdp,
    });
    const transaction = this.transactions.get(key);
    if (transaction) transaction.last = ok;
    // Section 13.3.1.4: the 2xx is retransmitted until the ACK; no ACK within 64*T1 ends the call.
    dialog.finalResponse = new Retransmitter(() => this.send(ok, dialog.peer), this.settings, () => {
      dialog.logger.warn('no ACK for our 200 OK: ending the call');
      this.endLocally(dialog, 'ack_timeout');
    });
    dialog.finalResponse.start();
    this.forget(key);
  }

  // RFC 3261 section 14.2 / RFC 3264 section 8: a re-INVITE is a new offer, answered against the
  // one in force, and the media session follows the answer (hold and resume, a new address, the
  // peer's new keys). An offerless re-INVITE gets the current session as Parley's offer.
  private onReInvite(request: SipRequest, peer: SipPeer, key: string): void {
    const dialog = this.findDialog(request);
    if (!dialog || dialog.state === 'ended') throw new SipRejection(481, 'Call/Transaction Does Not Exist');
    // Section 14.2: no new offer while our answer to the last one is not yet acknowledged.
    if (dialog.state !== 'confirmed') throw new SipRejection(491, 'Request Pending');
    if (request.body.length === 0) {
      this.answerReInvite(request, peer, key, dialog);
      return;
    }
    const contentType = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (contentType !== 'application/sdp') throw new SipRejection(415, 'Unsupported Media Type', [['Accept', 'application/sdp']]);
    const next = renegotiate(request.body, this.sdpPolicy(), dialog.negotiation!.audio);
    const before = dialog.negotiation!.audio;
    const after = next.audio;
    if (after.codec === before.codec && after.payloadType === before.payloadType) {
      this.followRenegotiation(dialog, next);
      this.answerReInvite(request, peer, key, dialog);
      return;
    }
    // The codec change is the one step that can still refuse (a codec of another clock needs a
    // new leg on the call's sockets), and the leg may answer from a media worker: retransmissions
    // meanwhile get the 100, and nothing changes if it refuses.
    this.transactions.set(key, { last: responseTo(request, 100, 'Trying'), peer });
    dialog.media!.changeCodec(networkCodecOf(after.codec), after.payloadType, needsNewLeg(before, after) ? this.rtpOptions(after) : undefined).then(
      (switched) => {
        if (dialog.state !== 'confirmed') return;
        if (!switched) {
          this.reject(request, peer, new SipRejection(488, 'Not Acceptable Here: the codec cannot change within the call'), key);
          return;
        }
        this.followRenegotiation(dialog, next);
        this.answerReInvite(request, peer, key, dialog);
      },
      (error: unknown) => {
        dialog.logger.warn({ err: error }, 'codec switch failed');
        if (dialog.state === 'confirmed') this.reject(request, peer, new SipRejection(500, 'Server Internal Error'), key);
      },
    );
  }

  private answerReInvite(request: SipRequest, peer: SipPeer, key: string, dialog: SipDialog): void {
    const ok = responseTo(request, 200, 'OK', {
      toTag: dialog.localTag,
      headers: [['Contact', this.contact(dialog.peer)], ['Content-Type', 'application/sdp'], ...capabilityHeaders()],
      body: dialog.answerSdp,
    });
    // Section 13.3.1.4 holds for a re-INVITE too: its 2xx is retransmitted until the ACK.
    dialog.finalResponse?.stop();
    dialog.finalResponse = new Retransmitter(() => this.send(ok, dialog.peer), this.settings, () => dialog.logger.warn('no ACK for our 200 OK to a re-INVITE'));
    dialog.finalResponse.start();
    this.sendNonInviteFinal(key, peer, ok);
  }

  private followRenegotiation(dialog: SipDialog, next: Negotiation): void {
    const before = dialog.negotiation!.audio;
    const after = next.audio;
    const media = dialog.media!;
    const moved = after.remoteHost !== before.remoteHost || after.remotePort !== before.remotePort;
    const resecured = after.srtp?.suite !== before.srtp?.suite;
    const rekeyed = !resecured && after.srtp !== undefined && before.srtp !== undefined && !Buffer.from(after.srtp.remoteKey).equals(before.srtp.remoteKey);
    // A hold to 0.0.0.0 (RFC 3264 section 8.4) is no address to send to: the old one is kept.
    if (moved && sendsMedia(after.direction)) media.redirect(after.remoteHost, after.remotePort);
    if (rekeyed) media.rekeyRemote(after.srtp!.suite, after.srtp!.remoteKey);
    if (resecured) media.setSrtp(after.srtp ? { profile: after.srtp.suite, localKey: after.srtp.localKey, remoteKey: after.srtp.remoteKey } : undefined);
    media.setPaused(!sendsMedia(after.direction));
    dialog.negotiation = moved && !sendsMedia(after.direction) ? { ...next, audio: { ...after, remoteHost: before.remoteHost, remotePort: before.remotePort } } : next;
    dialog.localMedia = { ...dialog.localMedia!, sessionVersion: dialog.localMedia!.sessionVersion + 1 };
    dialog.answerSdp = buildAnswer(next, dialog.localMedia);
    dialog.logger.info({ direction: after.direction, moved, rekeyed, srtp: after.srtp?.suite ?? false, codec: after.codec }, 'SIP call re-negotiated (re-INVITE)');
  }

  private onAck(request: SipRequest): void {
    if (!request.headers.get('call-id') || !request.headers.get('to') || !request.headers.get('from')) return;
    const dialog = this.findDialog(request);
    if (dialog?.state === 'accepted') {
      dialog.finalResponse?.stop();
      dialog.state = 'confirmed';
      this.onConfirmed(dialog);
      return;
    }
    // The ACK of a re-INVITE's 2xx.
    if (dialog?.state === 'confirmed') dialog.finalResponse?.stop();
    // The ACK of a non-2xx final response belongs to the INVITE transaction (section 17.2.1).
    this.transactions.get(transactionKey(request, 'INVITE'))?.retransmitter?.stop();
  }

  private onConfirmed(dialog: SipDialog): void {
    const media = dialog.media!;
    const correlation = dialog.invite.headers.get(CORRELATION_HEADER);
    const waiter = correlation !== undefined ? this.waiters.get(correlation) : undefined;
    if (correlation !== undefined) {
      if (!waiter) {
        this.endLocally(dialog, 'no_browser_session');
        return;
      }
      clearTimeout(waiter.timer);
      this.waiters.delete(correlation);
      waiter.resolve(media);
      return;
    }
    this.deps.calls.start({ callId: dialog.callId, source: 'sip', from: dialog.from, to: dialog.to }, media, dialog.logger);
  }

  private onCancel(request: SipRequest, peer: SipPeer, key: string): void {
    const inviteKey = transactionKey(request, 'INVITE');
    const invite = this.transactions.get(inviteKey);
    if (!invite) throw new SipRejection(481, 'Call/Transaction Does Not Exist');
    this.sendNonInviteFinal(key, peer, responseTo(request, 200, 'OK', { toTag: invite.dialog?.localTag ?? newTag() }));
    const dialog = invite.dialog;
    // Section 9.2: a CANCEL after the final response has no effect.
    if (!dialog || dialog.state !== 'proceeding') return;
    dialog.state = 'ended';
    clearTimeout(dialog.ringTimer);
    if (dialog.media) this.deps.calls.endUnanswered(dialog.media, 'caller_cancel', dialog.startedAtMs, dialog.logger);
    this.sendInviteFinal(inviteKey, dialog.peer, responseTo(dialog.invite, 487, 'Request Terminated', { toTag: dialog.localTag }));
    this.rejectWaiter(dialog, 'the caller cancelled');
  }

  private onBye(request: SipRequest, peer: SipPeer, key: string): void {
    const dialog = this.findDialog(request);
    if (!dialog || dialog.state === 'ended' || dialog.state === 'proceeding') throw new SipRejection(481, 'Call/Transaction Does Not Exist');
    this.sendNonInviteFinal(key, peer, responseTo(request, 200, 'OK'));
    dialog.stopTimers();
    dialog.state = 'ended';
    dialog.logger.info('caller hung up (BYE)');
    void dialog.media?.close('remote_hangup');
    this.rejectWaiter(dialog, 'the SIP side hung up');
    this.forgetDialog(dialog);
  }

  private rejectWaiter(dialog: SipDialog, why: string): void {
    const correlation = dialog.invite.headers.get(CORRELATION_HEADER);
    const waiter = correlation !== undefined ? this.waiters.get(correlation) : undefined;
    if (!waiter) return;
    clearTimeout(waiter.timer);
    this.waiters.delete(correlation!);
    waiter.reject(new SipRejection(487, why));
  }

  // The call ended on Parley's side (bot hangup, max duration, drain, a media worker's death):
  // hang up with BYE, its Reason header naming why.
  // Still ringing (a media worker died): the INVITE is answered 500 with the reason.
  private onMediaEnded(dialog: SipDialog, reason: string, inviteKey: string): void {
    if (dialog.state === 'accepted' || dialog.state === 'confirmed') this.endLocally(dialog, reason);
    else if (dialog.state === 'proceeding') this.failRinging(dialog, reason, inviteKey);
  }

  private failRinging(dialog: SipDialog, reason: string, inviteKey: string): void {
    dialog.state = 'ended';
    dialog.stopTimers();
    countRefused('sip', 'rejected_500');
    dialog.logger.warn({ reason }, 'the call\'s media ended while it rang: answering 500');
    this.sendInviteFinal(inviteKey, dialog.peer, responseTo(dialog.invite, 500, 'Server Internal Error', { toTag: dialog.localTag, headers: [['Reason', reasonHeader(reason)]] }));
    if (dialog.media) this.deps.calls.endUnanswered(dialog.media, reason, dialog.startedAtMs, dialog.logger);
    this.rejectWaiter(dialog, reason);
    this.forgetDialog(dialog);
  }

  private endLocally(dialog: SipDialog, reason: string): void {
    if (dialog.state === 'ended') return;
    const wasProceeding = dialog.state === 'proceeding';
    const answered = dialog.state === 'confirmed';
    dialog.state = 'ended';
    dialog.stopTimers();
    if (!wasProceeding) dialog.sendBye((datagram, peer) => this.send(datagram, peer), this.localFor(dialog.peer), this.settings, reason);
    // Before the ACK no Call owns the media: its end is logged and counted here.
    if (dialog.media && !answered) this.deps.calls.endUnanswered(dialog.media, reason, dialog.startedAtMs, dialog.logger);
    else void dialog.media?.close(reason);
    this.rejectWaiter(dialog, reason);
    this.forgetDialog(dialog);
  }

  private forgetDialog(dialog: SipDialog): void {
    // Kept for 64*T1 so retransmitted BYEs and the answer to our BYE still find it.
    setTimeout(() => {
      dialog.stopAll();
      this.dialogs.delete(dialog.dialogKey);
    }, 64 * this.settings.t1Ms).unref();
  }

  // A final response to INVITE: retransmitted (Timer G) until its ACK, at most 64*T1 (Timer H).
  private sendInviteFinal(key: string, peer: SipPeer, datagram: Buffer): void {
    const transaction = this.transactions.get(key) ?? { last: datagram, peer };
    transaction.last = datagram;
    transaction.retransmitter?.stop();
    transaction.retransmitter = new Retransmitter(() => this.send(datagram, peer), this.settings, () => undefined);
    transaction.retransmitter.start();
    this.transactions.set(key, transaction);
    this.forget(key);
  }

  // A final response to a non-INVITE request, kept to answer retransmissions (Timer J, 64*T1).
  private sendNonInviteFinal(key: string, peer: SipPeer, datagram: Buffer): void {
    this.transactions.set(key, { last: datagram, peer });
    this.send(datagram, peer);
    this.forget(key);
  }

  private forget(key: string): void {
    setTimeout(() => {
      this.transactions.get(key)?.retransmitter?.stop();
      this.transactions.delete(key);
    }, 64 * this.settings.t1Ms).unref();
  }
}

// CANCEL and the ACK of a non-2xx response carry their INVITE's branch (sections 9.1, 17.1.1.3):
// `method` 'INVITE' finds that INVITE's transaction from them.
function transactionKey(request: SipRequest, method = request.method): string {
  const branch = viaBranch(request.headers.get('via') ?? '');
  // Pre-RFC 3261 clients have no magic-cookie branch: Call-ID and CSeq number identify it.
  const id = branch?.startsWith('z9hG4bK') ? branch : `${request.headers.get('call-id')}|${request.headers.get('cseq')?.split(/\s+/)[0]}`;
  return `${id}|${method}`;
}

function capabilityHeaders(): Array<[string, string]> {
  return [['Allow', ALLOW], ['Accept', 'application/sdp']];
}

// A call's media as the rest of Parley sees it: the CallMedia face over one native session.
import { EventEmitter } from 'node:events';
import type { CallMedia, CallMediaEvents, NetworkCodec } from '../call/call-media.js';
import { callNative } from '../errors.js';
import type { NativeMediaEngine, NativeSessionStats } from './media-engine-binding.js';
import { checkedRtpSessionOptionsSchema, type RtpSessionOptions } from './media-session-options.js';

export interface MediaSessionInit {
  callId: string;
  nativeId: number;
  sampleRateHz: number;
  networkCodec: NetworkCodec;
  frameSamples: number;
  onClose: (session: MediaSession) => void;
}

// A leg's SDES-SRTP keys (RFC 4568) and suite.
export interface SrtpKeys {
  profile: string;
  localKey: Uint8Array;
  remoteKey: Uint8Array;
}

export class MediaSession extends EventEmitter<CallMediaEvents> implements CallMedia {
  readonly callId: string;
  readonly nativeId: number;
  readonly sampleRateHz: number;
  // Changes only when a re-INVITE moves the call to another codec (replaceLeg).
  networkCodec: NetworkCodec;
  readonly frameSamples: number;
  private readonly marks = new Map<number, string>();
  private nextMarkId = 1;
  private closed = false;
  // Read just before the native session goes: whoever closes it (BYE, CANCEL, bot hangup,
  // teardown), the call's end-of-call line and metrics still get its counts.
  private finalStats: NativeSessionStats | undefined;
  private dtmfSender: ((digits: string) => void) | undefined;
  private readonly onClose: (session: MediaSession) => void;
  // The view of the engine's audio array last handed out as this session's caller frame, and
  // where it starts (samples): a session's frame lands at the same place tick after tick while its
  // slot's sessions stay, so the view is made again only when that place moves.
  private callerFrameView: Int16Array = new Int16Array(0);
  private callerFrameStart = -1;

  constructor(
    private readonly native: NativeMediaEngine,
    init: MediaSessionInit,
  ) {
    super();
    this.callId = init.callId;
    this.nativeId = init.nativeId;
    this.sampleRateHz = init.sampleRateHz;
    this.networkCodec = init.networkCodec;
    this.frameSamples = init.frameSamples;
    this.onClose = init.onClose;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  play(pcm: Int16Array, maxQueuedMs?: number): boolean {
    // Audio for an ended call goes nowhere, as every other command to it: not a bound's refusal.
    if (this.closed) return true;
    return this.native.pushBotAudio(this.nativeId, pcm, maxQueuedMs === undefined ? undefined : Math.floor((maxQueuedMs * this.sampleRateHz) / 1000));
  }

  mark(name: string): void {
    if (this.closed) return;
    const id = this.nextMarkId++;
    this.marks.set(id, name);
    if (!this.native.mark(this.nativeId, id)) {
      // Too many marks pending natively: report it reached rather than never.
      this.reachMark(id);
    }
  }

  clear(): void {
    if (this.closed) return;
    for (const id of this.native.clear(this.nativeId)) this.reachMark(id);
  }

  sendDtmf(digits: string): boolean {
    if (this.closed) return false;
    if (!this.dtmfSender) return this.native.sendDtmf(this.nativeId, digits);
    this.dtmfSender(digits);
    return true;
  }

  // DTMF toward the caller goes this way instead of the network leg: in PBX mode the leg ends at
  // Asterisk's ExternalMedia channel, which does not pass digits on to the caller (Asterisk plays
  // them on the caller's own channel when asked over ARI).
  sendDtmfThrough(send: (digits: string) => void): void {
    this.dtmfSender = send;
  }

  hangup(reason: string): void {
    this.close(reason);
  }

  get queuedMs(): number {
    if (this.closed) return 0;
    return (this.native.queuedBotSamples(this.nativeId) * 1000) / this.sampleRateHz;
  }

  stats(): NativeSessionStats {
    if (this.finalStats) return this.finalStats;
    return callNative(() => this.native.stats(this.nativeId));
  }

  // Hands the session's outbound packets to a JS-carried transport (the WebRTC edge).
  takeOutboundPackets(): Buffer[] {
    return this.closed ? [] : this.native.takeOutboundPackets(this.nativeId);
  }

  // `arrivalUs` (monotonic µs) lets a manual-clock engine replay recorded or simulated arrivals.
  ingest(packet: Uint8Array, arrivalUs?: number): void {
    if (!this.closed) this.native.ingest(this.nativeId, packet, arrivalUs);
  }

  pushCallerPcm(pcm: Int16Array): void {
    if (!this.closed) this.native.pushCallerPcm(this.nativeId, pcm);
  }

  takeOutboundPcm(): Int16Array {
    return this.closed ? new Int16Array(0) : this.native.takeOutboundPcm(this.nativeId);
  }

  setPaused(paused: boolean): void {
    if (!this.closed) this.native.setPaused(this.nativeId, paused);
  }

  setRemote(host: string, port: number): void {
    callNative(() => this.native.setRemote(this.nativeId, host, port));
  }

  // A re-offer (RFC 3264 section 8) moved the peer: send there and latch its source anew.
  redirect(host: string, port: number): void {
    if (!this.closed) callNative(() => this.native.redirect(this.nativeId, host, port));
  }

  // A re-offer carried the peer's new SDES key (RFC 4568 section 7.1.4).
  rekeyRemote(profile: string, remoteKey: Uint8Array): void {
    if (!this.closed) callNative(() => this.native.rekeyRemote(this.nativeId, profile, remoteKey));
  }

  // A re-offer turned SDES-SRTP on, off (undefined) or to another suite: both directions re-keyed.
  setSrtp(srtp: SrtpKeys | undefined): void {
    if (this.closed) return;
    callNative(() => (srtp ? this.native.setSrtp(this.nativeId, srtp.profile, srtp.localKey, srtp.remoteKey) : this.native.setSrtp(this.nativeId)));
  }

  // A re-offer moved the call to a codec of another clock (Opus <-> G.711): a new RTP leg built
  // from `options` (as for createRtpSession, same transport) takes over the call's sockets.
  replaceLeg(options: RtpSessionOptions, networkCodec: NetworkCodec): void {
    if (this.closed) return;
    const parsed = checkedRtpSessionOptionsSchema.parse(options);
    callNative(() => this.native.replaceLeg(this.nativeId, parsed));
    this.networkCodec = networkCodec;
  }

  // A re-offer changed the codec or its payload type; false when the leg cannot follow (only
  // between codecs of one clock and frame size: G.711 mu-law and A-law).
  switchCodec(codec: string, payloadType: number): boolean {
    return !this.closed && callNative(() => this.native.switchCodec(this.nativeId, codec, payloadType));
  }

  close(reason: string): void {
    if (this.closed) return;
    this.finalStats = this.stats();
    this.closed = true;
    this.onClose(this);
    this.emit('ended', reason);
    this.removeAllListeners();
  }

  /** @internal the caller frame at `start` (samples) of the engine's audio array, as a view. */
  callerFrame(audio: Int16Array, start: number): Int16Array {
    if (start !== this.callerFrameStart) {
      this.callerFrameView = audio.subarray(start, start + this.frameSamples);
      this.callerFrameStart = start;
    }
    return this.callerFrameView;
  }

  /** @internal called by MediaEngine for each native event of this session. */
  dispatchMark(id: number): void {
    this.reachMark(id);
  }

  private reachMark(id: number): void {
    const name = this.marks.get(id);
    if (name === undefined) return;
    this.marks.delete(id);
    this.emit('markPlayed', name);
  }
}

// Watches the transport under an embedded WebRTC call: ICE and DTLS state, the time to connect,
// and the edge's own RTP sends. werift keeps the media session alive when ICE or DTLS fails or
// closes (and then drops every outbound packet silently), so without this a call went on
// half-dead until its maximum duration: caller -> bot flowing or not, bot -> caller gone.
// `ended` settles once with the reason; the signaling socket ends the call with it.
import type { RTCDtlsTransport, RTCPeerConnection } from 'werift';
import { counter } from '../../engine/metrics.js';

export type TransportEndReason =
  | 'webrtc_ice_failed'
  | 'webrtc_ice_closed'
  | 'webrtc_dtls_failed'
  | 'webrtc_dtls_closed'
  | 'webrtc_connect_timeout'
  | 'webrtc_send_failed';

export interface TransportWatchOptions {
  // From the answer to DTLS connected (ICE checks, then the handshake).
  connectTimeoutMs: number;
  // RTP packets in a row that may fail to send before the call is ended (50 = 1 s of 20 ms).
  maxConsecutiveSendFailures: number;
}

const transportEnded = counter(
  'parley_webrtc_transport_ended_total',
  'Embedded WebRTC calls ended because ICE or DTLS failed, closed or never connected, or sends kept failing, by reason',
  ['reason'],
);
const sendFailures = counter('parley_webrtc_send_failures_total', 'RTP packets the embedded WebRTC edge failed to send');

export class TransportWatch {
  readonly ended: Promise<TransportEndReason>;
  private settle: (reason: TransportEndReason) => void = () => undefined;
  private settled = false;
  private consecutiveSendFailures = 0;
  private readonly connectTimer: NodeJS.Timeout;
  private readonly unsubscribe: Array<() => void> = [];

  constructor(
    peer: RTCPeerConnection,
    private readonly dtls: RTCDtlsTransport,
    private readonly options: TransportWatchOptions,
  ) {
    this.ended = new Promise((resolve) => (this.settle = resolve));
    this.unsubscribe.push(
      peer.iceConnectionStateChange.subscribe((state) => {
        if (state === 'failed') this.end('webrtc_ice_failed');
        else if (state === 'closed') this.end('webrtc_ice_closed');
      }).unSubscribe,
      dtls.onStateChange.subscribe((state) => {
        if (state === 'connected') clearTimeout(this.connectTimer);
        else if (state === 'failed') this.end('webrtc_dtls_failed');
        else if (state === 'closed') this.end('webrtc_dtls_closed');
      }).unSubscribe,
    );
    this.connectTimer = setTimeout(() => {
      if (this.dtls.state !== 'connected') this.end('webrtc_connect_timeout');
    }, options.connectTimeoutMs);
    this.connectTimer.unref();
  }

  sendSucceeded(): void {
    this.consecutiveSendFailures = 0;
  }

  sendFailed(): void {
    sendFailures.inc();
    if (++this.consecutiveSendFailures >= this.options.maxConsecutiveSendFailures) this.end('webrtc_send_failed');
  }

  // The call is being closed from this side: what the transport does next is not a failure.
  stop(): void {
    this.settled = true;
    this.release();
  }

  private end(reason: TransportEndReason): void {
    if (this.settled) return;
    this.settled = true;
    this.release();
    transportEnded.inc({ reason });
    this.settle(reason);
  }

  private release(): void {
    clearTimeout(this.connectTimer);
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
  }
}

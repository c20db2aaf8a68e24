// The embedded WebRTC edge (embedded mode): werift terminates ICE and DTLS-SRTP in this process
// and hands plain RTP to a media session whose transport is JS-carried. Only Opus is offered: it
// is what every browser sends, and the media session transcodes for the bot.
import type { Logger } from 'pino';
import { RTCPeerConnection, RTCRtpCodecParameters, type RTCIceServer, type RTCRtpTransceiver } from 'werift';
import type { MediaEngine } from '../../engine/media/media-engine.js';
import type { MediaSession } from '../../engine/media/media-session.js';
import { withCallMediaOptions, type CallMediaOptions, type SessionOptions } from '../../engine/media/media-session-options.js';
import { countRefused } from '../../engine/metrics.js';
import { opusAnswerFmtp, opusCodingRateHz } from '../../engine/media/opus-fmtp.js';
import { WebRtcEdgeError } from './errors.js';
import { IceSourceGuard, type IceRefusal } from './ice-source-guard.js';
import { TransportWatch, type TransportEndReason, type TransportWatchOptions } from './transport-watch.js';

export interface WebRtcEdgeOptions {
  // Passed to werift as is. Without a STUN server in it, werift would ask a public one of its own
  // choosing (stun.l.google.com): the edge then switches server-reflexive gathering off, so
  // nothing leaves the machine unless configured.
  iceServers: RTCIceServer[];
  // Host addresses werift skips by default (loopback, for a laptop demo).
  additionalHostAddresses?: string[];
  icePortRange?: [number, number];
  session?: SessionOptions;
  transport?: Partial<TransportWatchOptions>;
}

// Chromium gives up ICE checks after about 30 s; a call not connected by then never will be.
const DEFAULT_TRANSPORT_WATCH: TransportWatchOptions = { connectTimeoutMs: 30_000, maxConsecutiveSendFailures: 50 };

export interface WebRtcCall {
  answerSdp: string;
  media: MediaSession;
  peer: RTCPeerConnection;
  // Settles when ICE or DTLS fails or closes under the call (not when close() is called).
  transportEnded: Promise<TransportEndReason>;
  close(reason: string): Promise<void>;
}

const OPUS_PAYLOAD_TYPE = 111;

function negotiatedOpusPayloadType(sdp: string): number {
  const match = /a=rtpmap:(\d+) opus\/48000/i.exec(sdp);
  if (!match) throw new WebRtcEdgeError('the offer has no Opus audio: only Opus is accepted');
  return Number(match[1]);
}

// werift checks every remote candidate from every local socket, with retransmissions: an offer
// listing hundreds would have the edge send STUN to as many addresses of the caller's choosing
// (a scan or reflection run from this host). Browsers offer a handful per network interface.
const MAX_REMOTE_CANDIDATES = 32;

function checkCandidateCount(sdp: string): void {
  const count = sdp.match(/^a=candidate:/gm)?.length ?? 0;
  if (count > MAX_REMOTE_CANDIDATES) {
    countRefused('webrtc', 'too_many_candidates');
    throw new WebRtcEdgeError(`the offer lists ${count} ICE candidates; at most ${MAX_REMOTE_CANDIDATES} are accepted`);
  }
}

export class WebRtcEdge {
  constructor(
    private readonly engine: MediaEngine,
    private readonly options: WebRtcEdgeOptions,
  ) {}

  // `callMedia`: what the call chose over the node's session options (its grant request).
  async accept(callId: string, offerSdp: string, logger: Logger, callMedia: CallMediaOptions = {}): Promise<WebRtcCall> {
    checkCandidateCount(offerSdp);
    const hasStun = this.options.iceServers.some((server) =>
      (Array.isArray(server.urls) ? server.urls : [server.urls]).some((url) => url.startsWith('stun:')),
    );
    // werift's ICE-lite mode would avoid the lookup too, but its DTLS never completes with it
    // (seen with werift 0.25 and Chromium 156).
    const peer = new RTCPeerConnection({
      iceServers: this.options.iceServers,
      iceUseIpv6: false,
      iceAdditionalHostAddresses: this.options.additionalHostAddresses,
      icePortRange: this.options.icePortRange,
      codecs: {
        audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: OPUS_PAYLOAD_TYPE })],
      },
    });
    // The answer keeps the offerer's payload type (RFC 3264 section 6.1).
    let media: MediaSession | undefined;
    let watch: TransportWatch | undefined;
    try {
      const payloadType = negotiatedOpusPayloadType(offerSdp);
      let transceiver: RTCRtpTransceiver | undefined;
      let loggedSendFailure = false;
      media = this.createSession(callId, payloadType, callMedia, (packets) => {
        // werift rewrites SSRC, payload type and offsets per RTCRtpSender; a send before DTLS is
        // up is dropped by werift: the media keeps its own clock.
        for (const packet of packets) {
          transceiver?.sender.sendRtp(packet).then(
            () => watch?.sendSucceeded(),
            (error: unknown) => {
              if (!loggedSendFailure) logger.warn({ err: error }, 'webrtc edge failed to send RTP');
              loggedSendFailure = true;
              watch?.sendFailed();
            },
          );
        }
      });
      const session = media;
      peer.onTrack.subscribe((track) => {
        track.onReceiveRtp.subscribe((rtp) => session.ingest(rtp.serialize()));
      });
      await peer.setRemoteDescription({ type: 'offer', sdp: offerSdp });
      transceiver = peer.getTransceivers().find((t) => t.kind === 'audio');
      if (!transceiver) throw new WebRtcEdgeError('the offer has no audio m-line');
      transceiver.setDirection('sendrecv');
      answerWithOwnOpusFmtp(transceiver, opusCodingRateHz(this.options.session));
      const dtls = transceiver.dtlsTransport;
      if (!hasStun) withoutDefaultStun(transceiver);
      const refusedReasons = new Set<IceRefusal>();
      new IceSourceGuard(dtls.iceTransport.connection, {
        dtlsConnected: () => dtls.state === 'connected',
        onRefused: (reason, [host]) => {
          if (refusedReasons.has(reason)) return;
          refusedReasons.add(reason);
          logger.warn({ reason, from: host }, 'refused a datagram on the call\'s ICE socket');
        },
      }).install();
      watch = new TransportWatch(peer, dtls, { ...DEFAULT_TRANSPORT_WATCH, ...this.options.transport });
      const transportWatch = watch;
      await peer.setLocalDescription(await peer.createAnswer());
      await waitForGathering(peer);
      const answerSdp = peer.localDescription?.sdp;
      if (!answerSdp) throw new WebRtcEdgeError('werift produced no local description');
      return {
        answerSdp,
        media: session,
        peer,
        transportEnded: transportWatch.ended,
        close: async (reason: string) => {
          transportWatch.stop();
          session.close(reason);
          await peer.close();
        },
      };
    } catch (error) {
      watch?.stop();
      media?.close('setup failed');
      await peer.close();
      throw error;
    }
  }

  private createSession(callId: string, payloadType: number, callMedia: CallMediaOptions, onOutbound: (packets: Buffer[]) => void): MediaSession {
    return this.engine.createRtpSession(
      callId,
      { ...withCallMediaOptions(this.options.session ?? {}, callMedia), codec: 'opus', payloadType, transport: 'external', sendSilence: true },
      { onOutbound },
    ).session;
  }
}

// werift answers with the offer's own fmtp (its negotiated codecs are the offer's): the answer's
// says what the node receives (RFC 7587 section 7.1), so it is the node's, as in the SIP answer.
function answerWithOwnOpusFmtp(transceiver: RTCRtpTransceiver, codingRateHz: number): void {
  for (const codec of transceiver.codecs) {
    if (codec.mimeType.toLowerCase() === 'audio/opus') codec.parameters = opusAnswerFmtp({ codingRateHz });
  }
}

// Gathering starts in setLocalDescription; before it, drop the public STUN server werift's ICE
// connection defaults to. Checked, so a werift upgrade that moves it fails loudly here.
function withoutDefaultStun(transceiver: RTCRtpTransceiver): void {
  const connection = transceiver.dtlsTransport?.iceTransport?.connection as { stunServer?: unknown } | undefined;
  if (!connection || !('stunServer' in connection)) {
    throw new WebRtcEdgeError('cannot switch off werift\'s default STUN server: check the werift version');
  }
  connection.stunServer = undefined;
}

async function waitForGathering(peer: RTCPeerConnection): Promise<void> {
  if (peer.iceGatheringState === 'complete') return;
  await new Promise<void>((resolve) => {
    const { unSubscribe } = peer.iceGatheringStateChange.subscribe((state) => {
      if (state === 'complete') {
        unSubscribe();
        resolve();
      }
    });
  });
}

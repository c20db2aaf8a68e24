// The load bench's media-only call, in one process on a manual clock: an RTP leg with an external
// transport (no sockets) and the load bench's options (no barge-in, the bot at 16 kHz, the echo
// canceller at its default unless told), and its caller's RTP packets. calls-callgrind.ts counts
// its instructions; the echo bench times it with the canceller off and on.
import type { MediaEngine, OutboundPacketSink } from '../../engine/media/media-engine.js';
import type { MediaSession } from '../../engine/media/media-session.js';
import { FRAME_US } from '../../engine/media/frame.js';
import { serializeRtpPacket } from '../../engine/native/rtp-packet.js';
import { BOT_RATE_HZ, OPUS_COMPLEXITY } from './load-step.js';
import type { LoadCodec } from './media-node-protocol.js';

const PAYLOAD_TYPES: Record<LoadCodec, number> = { opus: 111, PCMU: 0 };
const RTP_CLOCK_SAMPLES_PER_FRAME: Record<LoadCodec, number> = { opus: 960, PCMU: 160 };
export const RTP_HEADER_BYTES = 12;
// Calls made of one recording start this many frames apart in it, so they do not speak in unison.
export const CALL_OFFSET_FRAMES = 37;
// Where the manual clock starts: any monotonic time will do, as long as every call agrees.
const START_US = 1_000_000_000;

// The manual clock at the start of frame `frame`.
export const frameStartUs = (frame: number): number => START_US + frame * FRAME_US;

// `echoCancellation` undefined: the node's default for the leg (on for PCMU).
export function createMediaOnlyCall(engine: MediaEngine, callId: string, codec: LoadCodec, onOutbound: OutboundPacketSink, echoCancellation?: boolean): MediaSession {
  const { session } = engine.createRtpSession(
    callId,
    {
      codec,
      payloadType: PAYLOAD_TYPES[codec],
      transport: 'external',
      botRateHz: BOT_RATE_HZ,
      bargeIn: false,
      opusComplexity: OPUS_COMPLEXITY,
      ...(echoCancellation === undefined ? {} : { echoCancellation }),
    },
    { startUs: START_US, onOutbound },
  );
  return session;
}

// The caller's RTP packet carrying frame `frame` of its stream (sequence and timestamp from 0).
export function callerPacket(codec: LoadCodec, frame: number, ssrc: number, payload: Uint8Array): Uint8Array {
  const header = { marker: false, payloadType: PAYLOAD_TYPES[codec], sequenceNumber: frame & 0xffff, timestamp: (RTP_CLOCK_SAMPLES_PER_FRAME[codec] * frame) >>> 0, ssrc, csrcs: [] };
  return serializeRtpPacket(header, payload);
}

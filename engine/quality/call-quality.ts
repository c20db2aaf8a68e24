// A call's quality score from its media stats: an E-model R-factor and MOS (e-model.ts) for each
// direction Parley can see, and the call's score as the worse of the two, as rtpengine reports
// per stream and monitors flag a call by its worst leg.
//   inbound  (caller -> Parley): our own measurement: RTP loss (RFC 3550 A.3), what the jitter
//            buffer could not play (lost or late), and its delay;
//   outbound (Parley -> caller): the peer's RTCP report blocks about our stream (loss, jitter).
// One-way delay is half the RTCP round trip (section 6.4.1) plus buffering and packetization.
import type { NativeSessionStats } from '../media/media-engine-binding.js';
import { codecImpairment, mosFromR, rFactor } from './e-model.js';

// Audio per packet before it can leave (20 ms frames) and the receiver's playout buffer when the
// peer's is unknown: twice its measured jitter, a common adaptive buffer's target.
const PACKETIZATION_MS = 20;
const REMOTE_BUFFER_PER_JITTER = 2;

export interface DirectionQuality {
  rFactor: number;
  mos: number;
  lossPercent: number;
  jitterMs: number;
  oneWayDelayMs: number;
}

export interface CallQuality extends DirectionQuality {
  // Mean round-trip time from RTCP, when the peer sent report blocks with LSR/DLSR.
  rttMs?: number;
  inbound: DirectionQuality;
  outbound?: DirectionQuality;
}

const round = (value: number, digits = 2): number => Number(value.toFixed(digits));

function direction(codec: string, lossPercent: number, jitterMs: number, oneWayDelayMs: number): DirectionQuality {
  const r = rFactor({ codec: codecImpairment(codec), oneWayDelayMs, lossPercent });
  return { rFactor: round(r), mos: round(mosFromR(r)), lossPercent: round(lossPercent), jitterMs: round(jitterMs), oneWayDelayMs: round(oneWayDelayMs, 1) };
}

// Undefined for a leg without RTP (chan_websocket PCM) or before any packet arrived.
export function callQuality(stats: NativeSessionStats): CallQuality | undefined {
  const { rtcp, jitter } = stats;
  if (!rtcp || !jitter || (stats.packetsReceived ?? 0) === 0) return undefined;
  const networkMs = rtcp.rttMeanMs !== undefined ? rtcp.rttMeanMs / 2 : 0;
  // Packets never played: lost in the network or too late for the buffer (counted once each).
  const unplayed = Math.max(jitter.lost, rtcp.local.lost);
  const expected = Math.max(rtcp.local.expected, stats.packetsReceived ?? 0);
  const inbound = direction(
    stats.codec,
    expected > 0 ? (100 * unplayed) / expected : 0,
    rtcp.local.jitterMs,
    networkMs + jitter.currentDelayMs + PACKETIZATION_MS,
  );
  const remote = rtcp.remote;
  const sent = stats.packetsSent ?? 0;
  const outbound = remote
    ? direction(
        stats.codec,
        sent > 0 ? (100 * Math.max(0, remote.cumulativeLost)) / sent : 100 * remote.fractionLost,
        remote.jitterMs,
        networkMs + REMOTE_BUFFER_PER_JITTER * remote.jitterMs + PACKETIZATION_MS,
      )
    : undefined;
  const worse = outbound && outbound.rFactor < inbound.rFactor ? outbound : inbound;
  return { ...worse, ...(rtcp.rttMeanMs !== undefined ? { rttMs: round(rtcp.rttMeanMs, 1) } : {}), inbound, ...(outbound ? { outbound } : {}) };
}

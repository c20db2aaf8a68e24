// Replays a simulated trace (network-impairment.ts) into a media session on a manual-clock engine:
// each packet is ingested with its arrival time, and the engine ticks every 20 ms of media time,
// so the jitter buffer sees exactly the timing the trace describes, with no sleeps.
import { RtpHeader, RtpPacket } from 'werift';
import type { MediaEngine } from '../../engine/media/media-engine.js';
import type { MediaSession } from '../../engine/media/media-session.js';
import type { Trace, TracePacket } from './network-impairment.js';

export interface PlayedFrame {
  timeUs: number; // media time of the tick that produced it
  pcm: Int16Array;
}

export interface PlayOptions {
  payloadType: number;
  ssrc?: number;
  // Offset added to every trace time (trace times start at 0; the session's clock at startUs).
  startUs: number;
  tailMs?: number; // keep ticking this long after the last arrival
  payloadOf: (packet: TracePacket) => Uint8Array;
  // Called before each tick, e.g. to sample stats.
  beforeTick?: (nowUs: number) => void;
}

export function rtpBytes(header: Partial<RtpHeader>, payload: Uint8Array): Buffer {
  return new RtpPacket(new RtpHeader({ version: 2, ...header }), Buffer.from(payload)).serialize();
}

export function playTrace(engine: MediaEngine, session: MediaSession, trace: Trace, options: PlayOptions): PlayedFrame[] {
  const played: PlayedFrame[] = [];
  let nowUs = options.startUs;
  const onAudio = (pcm: Int16Array): void => {
    played.push({ timeUs: nowUs, pcm: pcm.slice() });
  };
  session.on('audio', onAudio);
  const lastArrivalUs = trace.packets.at(-1)?.arrivalUs ?? 0;
  const endUs = options.startUs + lastArrivalUs + (options.tailMs ?? 500) * 1000;
  let next = 0;
  for (; nowUs <= endUs; nowUs += trace.ptimeUs) {
    while (next < trace.packets.length && options.startUs + trace.packets[next]!.arrivalUs <= nowUs) {
      const packet = trace.packets[next++]!;
      const bytes = rtpBytes(
        { payloadType: options.payloadType, ssrc: options.ssrc ?? 0x5eed, sequenceNumber: packet.seq, timestamp: packet.timestamp, marker: packet.marker ?? false },
        options.payloadOf(packet),
      );
      session.ingest(bytes, options.startUs + packet.arrivalUs);
    }
    options.beforeTick?.(nowUs);
    engine.tick(nowUs);
  }
  session.off('audio', onAudio);
  return played;
}

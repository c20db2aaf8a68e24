// RTP as real senders shape it, for jitter-buffer tests and the jitter bench: talkspurts with
// pauses, packets of any duration with a short last one, and what Asterisk 22 does to its
// timestamps. res_rtp_asterisk stamps each frame with the wall-clock time since the previous one
// (calc_txstamp) and keeps its prediction (last timestamp + this frame's samples) only while the
// two agree within MAX_TIMESTAMP_SKEW; after a pause of 100 ms or more they do not, so the next
// packet carries a timestamp taken from the wall clock, off the 20 ms grid, with the marker bit
// set. Files played back to back keep the prediction: no marker, no restart.
// Other restart models: a step backward, or an unrelated value (a new file, a new source).
// Sequence numbers run on across everything, wrapping at 2^16.
import type { MediaEngine } from '../../engine/media/media-engine.js';
import type { MediaSession } from '../../engine/media/media-session.js';
import { seededRandom } from './seeded-random.js';
import { rtpBytes } from './trace-player.js';

export interface Talkspurt {
  pcm: Int16Array; // at the RTP clock rate
  pauseAfterMs: number; // silence before the next talkspurt; 0: back to back (a new file)
}

export type TimestampRestart = 'wallclock' | 'backward' | 'random' | 'continuous';

export interface StreamShape {
  samplesPerPacket: number; // RTP timestamp units per full packet
  clockRateHz: number;
  encode: (pcm: Int16Array) => Uint8Array;
  restart: TimestampRestart;
  markTalkspurts?: boolean; // default true
  firstSeq?: number;
  firstTimestamp?: number;
  seed?: number;
}

export interface StreamPacket {
  seq: number;
  timestamp: number;
  marker: boolean;
  payload: Uint8Array;
  sendUs: number;
}

export function talkspurtStream(talkspurts: Talkspurt[], shape: StreamShape): StreamPacket[] {
  const random = seededRandom(shape.seed ?? 1);
  const ptimeUs = (shape.samplesPerPacket * 1_000_000) / shape.clockRateHz;
  const firstTimestamp = shape.firstTimestamp ?? 10_000;
  const packets: StreamPacket[] = [];
  let seq = shape.firstSeq ?? 1000;
  let timestamp = firstTimestamp;
  let sendUs = 0;
  const asterisk = shape.restart === 'wallclock';
  talkspurts.forEach((talkspurt, index) => {
    // Asterisk keeps predicting across files played back to back (no pause, no marker).
    const restarts = index > 0 && !(asterisk && talkspurts[index - 1]!.pauseAfterMs === 0);
    if (restarts) {
      switch (shape.restart) {
        case 'wallclock':
          // Whole milliseconds of wall clock since the stream began, as calc_txstamp counts them,
          // read a few ms after the frame's nominal time (Asterisk's timers run late, not early):
          // off the 20 ms grid.
          timestamp = firstTimestamp + Math.floor(sendUs / 1000 + 1 + random() * 6) * (shape.clockRateHz / 1000);
          break;
        case 'backward':
          timestamp -= 30 * shape.samplesPerPacket;
          break;
        case 'random':
          timestamp = Math.floor(random() * 2 ** 32);
          break;
        case 'continuous':
          timestamp = firstTimestamp + Math.round((sendUs * shape.clockRateHz) / 1_000_000);
          break;
      }
    }
    for (let at = 0; at < talkspurt.pcm.length; at += shape.samplesPerPacket) {
      const pcm = talkspurt.pcm.subarray(at, Math.min(at + shape.samplesPerPacket, talkspurt.pcm.length));
      // Asterisk's prediction is the previous timestamp plus THIS frame's samples (ast_rtp_raw_write),
      // so a short last frame is stamped only its own length after the frame before it, inside
      // that frame's span (measured on Asterisk 22.10.1: 13, 35, 57 and 84-sample last frames).
      if (asterisk && !(restarts && at === 0) && packets.length > 0) timestamp += pcm.length - shape.samplesPerPacket;
      packets.push({
        seq: seq & 0xffff,
        timestamp: timestamp >>> 0,
        marker: at === 0 && (index === 0 || restarts) && (shape.markTalkspurts ?? true),
        payload: shape.encode(pcm),
        sendUs,
      });
      seq++;
      timestamp += shape.samplesPerPacket;
      sendUs += ptimeUs;
    }
    sendUs += talkspurt.pauseAfterMs * 1000;
  });
  return packets;
}

// What the listener should hear: the talkspurts with their pauses, one after the other.
export function streamSource(talkspurts: Talkspurt[], rateHz: number): Int16Array {
  const out: number[] = [];
  for (const talkspurt of talkspurts) {
    out.push(...talkspurt.pcm);
    out.push(...new Array<number>(Math.round((talkspurt.pauseAfterMs * rateHz) / 1000)).fill(0));
  }
  return Int16Array.from(out);
}

export interface PathShape {
  baseDelayUs?: number; // default 30 ms
  jitterSigmaMs?: number; // half-normal jitter, delivered first-in first-out
  seed?: number;
}

// When each packet arrives after crossing the path (µs on the sender's clock).
export function arrivalTimesUs(packets: StreamPacket[], path: PathShape): number[] {
  const random = seededRandom(path.seed ?? 7);
  let fifoUs = 0;
  return packets.map((packet) => {
    const gauss = Math.abs(Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random()));
    fifoUs = Math.max(fifoUs, Math.round(packet.sendUs + (path.baseDelayUs ?? 30_000) + gauss * (path.jitterSigmaMs ?? 0) * 1000));
    return fifoUs;
  });
}

export interface PlayStreamOptions extends PathShape {
  payloadType: number;
  ssrc?: number;
  startUs: number; // the session's clock at send time 0
  tailMs?: number; // ticks after the last arrival
  onTick?: (nowUs: number) => void; // after each tick
}

// Replays the stream into a manual-clock session, one tick per 20 ms; returns the bot's audio.
export function playStream(engine: MediaEngine, session: MediaSession, packets: StreamPacket[], options: PlayStreamOptions): Int16Array {
  const arrivals = arrivalTimesUs(packets, options).map((atUs, i) => ({ packet: packets[i]!, arrivalUs: options.startUs + atUs }));
  const heard: Int16Array[] = [];
  const onAudio = (pcm: Int16Array): void => {
    heard.push(pcm.slice());
  };
  session.on('audio', onAudio);
  const endUs = arrivals.at(-1)!.arrivalUs + (options.tailMs ?? 1000) * 1000;
  let next = 0;
  for (let nowUs = options.startUs; nowUs <= endUs; nowUs += 20_000) {
    while (next < arrivals.length && arrivals[next]!.arrivalUs <= nowUs) {
      const { packet, arrivalUs } = arrivals[next++]!;
      const header = { payloadType: options.payloadType, ssrc: options.ssrc ?? 0xa57e, sequenceNumber: packet.seq, timestamp: packet.timestamp, marker: packet.marker };
      session.ingest(rtpBytes(header, packet.payload), arrivalUs);
    }
    engine.tick(nowUs);
    options.onTick?.(nowUs);
  }
  session.off('audio', onAudio);
  return Int16Array.from(heard.flatMap((frame) => [...frame]));
}

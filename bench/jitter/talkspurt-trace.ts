// A caller as real Asterisk 22 sends it (test/support/talkspurt-stream.ts has the model): talkspurts
// of 0.5-4 s, pauses of 100-300 ms after which the timestamps restart from the wall clock with the
// marker bit, every other talkspurt a played file ending in a short frame (1-19 ms), some files
// back to back; then jitter on the path, first-in first-out. Each packet keeps its index, so the
// scoring knows which packet played when.
import type { Trace, TracePacket } from '../../test/support/network-impairment.js';
import { seededRandom } from '../../test/support/seeded-random.js';
import { arrivalTimesUs, talkspurtStream, type Talkspurt } from '../../test/support/talkspurt-stream.js';

export interface TalkspurtPacket extends TracePacket {
  marker: boolean;
  samples: number; // RTP timestamp units it carries (160, or fewer for a file's last frame)
}

export interface TalkspurtTraceProfile {
  name: string;
  seed: number;
  durationS: number;
  jitterSigmaMs: number;
}

const PAUSES_MS = [100, 140, 200, 300];
const BASE_DELAY_US = 30_000;

export function talkspurtTrace(profile: TalkspurtTraceProfile): Trace & { packets: TalkspurtPacket[] } {
  const random = seededRandom(profile.seed);
  const talkspurts: Talkspurt[] = [];
  for (let totalMs = 0; totalMs < profile.durationS * 1000; ) {
    const frames = 25 + Math.floor(random() * 175);
    const file = talkspurts.length % 2 === 1;
    const samples = frames * 160 + (file ? 8 + 8 * Math.floor(random() * 18) : 0);
    const pauseAfterMs = file && random() < 0.3 ? 0 : PAUSES_MS[Math.floor(random() * PAUSES_MS.length)]!;
    // Only the length matters here: the scoring tags each packet's payload with its index.
    talkspurts.push({ pcm: new Int16Array(samples), pauseAfterMs });
    totalMs += frames * 20 + pauseAfterMs;
  }
  const sizes: number[] = [];
  const sent = talkspurtStream(talkspurts, {
    samplesPerPacket: 160,
    clockRateHz: 8000,
    restart: 'wallclock',
    seed: profile.seed,
    encode: (pcm) => {
      sizes.push(pcm.length);
      return new Uint8Array(0);
    },
  });
  const arrivals = arrivalTimesUs(sent, { baseDelayUs: BASE_DELAY_US, jitterSigmaMs: profile.jitterSigmaMs, seed: profile.seed });
  const packets = sent.map((packet, index): TalkspurtPacket => ({
    index,
    seq: packet.seq,
    timestamp: packet.timestamp,
    sendUs: packet.sendUs,
    arrivalUs: arrivals[index]!,
    duplicate: false,
    marker: packet.marker,
    samples: sizes[index]!,
  }));
  return { name: profile.name, frames: packets.length, baseDelayUs: BASE_DELAY_US, ptimeUs: 20_000, packets, lost: 0 };
}

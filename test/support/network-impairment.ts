// A deterministic network impairment simulator: from a seed and a profile it produces the
// (packet, arrival µs) trace one RTP stream would have after crossing a bad network. Tests and the
// jitter bench (bench/jitter/) feed these traces to a media session on the engine's manual clock,
// so a run takes milliseconds and repeats bit for bit. Hand-written because the models are a few
// lines each and no maintained npm package produces seeded RTP arrival traces.
//
// Models: per-packet one-way delay = base + jitter (half-normal, or Lomax/Pareto II for a heavy
// tail), delivered first-in first-out as a router queue would, except packets picked for
// reordering, which are held back 1-3 packet times; loss from a two-state Gilbert-Elliott chain;
// duplicates arriving shortly after the original; sender clock skew (its 20 ms is 20 ms × (1+ppm));
// delay spikes: the path stalls for `heightMs` and everything sent meanwhile arrives in one burst.
import { seededRandom } from './seeded-random.js';

export interface GilbertElliott {
  pGoodToBad: number;
  pBadToGood: number;
  lossInBad?: number; // default 1
  lossInGood?: number; // default 0
}

export type JitterModel = { kind: 'gaussian'; sigmaMs: number } | { kind: 'pareto'; scaleMs: number; shape: number };

export interface DelaySpikes {
  everyS: number;
  heightMs: number;
  firstAtS?: number;
}

export interface ImpairmentProfile {
  name: string;
  seed: number;
  durationS: number;
  ptimeMs?: number; // default 20
  clockRateHz?: number; // default 8000
  baseDelayMs?: number; // default 30
  jitter?: JitterModel;
  loss?: GilbertElliott;
  reorderProbability?: number;
  duplicateProbability?: number;
  skewPpm?: number;
  spikes?: DelaySpikes;
  firstSeq?: number;
  firstTimestamp?: number;
}

export interface TracePacket {
  index: number; // frame number at the sender
  seq: number;
  timestamp: number;
  sendUs: number; // on the receiver's clock
  arrivalUs: number;
  duplicate: boolean;
  marker?: boolean; // the RTP marker bit (talkspurt senders set it; this simulator does not)
}

export interface Trace {
  name: string;
  frames: number; // frames the sender produced
  baseDelayUs: number;
  ptimeUs: number;
  packets: TracePacket[]; // in arrival order; lost packets are absent
  lost: number; // frames lost by the network
}

function jitterSampler(model: JitterModel | undefined, random: () => number): () => number {
  if (model === undefined) return () => 0;
  if (model.kind === 'gaussian') {
    return () => {
      // Box-Muller; the absolute value keeps the delay above the path's base.
      const u = Math.max(random(), 1e-12);
      return Math.abs(Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random())) * model.sigmaMs;
    };
  }
  return () => model.scaleMs * (Math.pow(Math.max(random(), 1e-12), -1 / model.shape) - 1);
}

// Extra delay of a packet sent at `sendMs` caught in a stall that starts every `everyS`.
function spikeDelayMs(spikes: DelaySpikes | undefined, sendMs: number): number {
  if (spikes === undefined) return 0;
  const periodMs = spikes.everyS * 1000;
  const sinceFirst = sendMs - (spikes.firstAtS ?? spikes.everyS / 2) * 1000;
  if (sinceFirst < 0) return 0;
  const into = sinceFirst % periodMs;
  return into < spikes.heightMs ? spikes.heightMs - into : 0;
}

export function generateTrace(profile: ImpairmentProfile): Trace {
  const random = seededRandom(profile.seed);
  const ptimeMs = profile.ptimeMs ?? 20;
  const samplesPerFrame = ((profile.clockRateHz ?? 8000) * ptimeMs) / 1000;
  const baseDelayMs = profile.baseDelayMs ?? 30;
  const frames = Math.round((profile.durationS * 1000) / ptimeMs);
  const skew = 1 + (profile.skewPpm ?? 0) * 1e-6;
  const jitter = jitterSampler(profile.jitter, random);
  const packets: TracePacket[] = [];
  let bad = false;
  let lost = 0;
  let fifoUs = 0;
  for (let index = 0; index < frames; index++) {
    const sendMs = (index * ptimeMs) / skew;
    const loss = profile.loss;
    if (loss !== undefined) {
      bad = bad ? random() >= loss.pBadToGood : random() < loss.pGoodToBad;
      if (random() < (bad ? (loss.lossInBad ?? 1) : (loss.lossInGood ?? 0))) {
        lost++;
        continue;
      }
    }
    let arrivalMs = sendMs + baseDelayMs + jitter() + spikeDelayMs(profile.spikes, sendMs);
    const reordered = random() < (profile.reorderProbability ?? 0);
    if (reordered) {
      arrivalMs += ptimeMs * (1 + Math.floor(random() * 3));
    } else {
      arrivalMs = Math.max(arrivalMs, fifoUs / 1000);
      fifoUs = Math.round(arrivalMs * 1000);
    }
    const packet: TracePacket = {
      index,
      seq: ((profile.firstSeq ?? 1000) + index) & 0xffff,
      timestamp: ((profile.firstTimestamp ?? 90_000) + index * samplesPerFrame) >>> 0,
      sendUs: Math.round(sendMs * 1000),
      arrivalUs: Math.round(arrivalMs * 1000),
      duplicate: false,
    };
    packets.push(packet);
    if (random() < (profile.duplicateProbability ?? 0)) {
      packets.push({ ...packet, arrivalUs: packet.arrivalUs + Math.round(random() * 10_000), duplicate: true });
    }
  }
  packets.sort((a, b) => a.arrivalUs - b.arrivalUs);
  return { name: profile.name, frames, baseDelayUs: baseDelayMs * 1000, ptimeUs: ptimeMs * 1000, packets, lost };
}

// The traces the jitter bench scores: impairment profiles of one continuous stream, and callers
// that speak in talkspurts with Asterisk 22's timestamp restarts and short last frames.
// "low jitter" traces are the ones where the adaptive buffer must beat a fixed 60 ms buffer's delay;
// on "no loss" traces it must play every packet.
import { generateTrace, type ImpairmentProfile, type Trace } from '../../test/support/network-impairment.js';
import { silenceTrace, type SilenceKind } from './silence-trace.js';
import type { SpeechCodec } from './speech-run.js';
import { talkspurtTrace } from './talkspurt-trace.js';

export interface BenchTrace {
  name: string;
  build: () => Trace;
  lowJitter: boolean;
  noLoss?: boolean;
  codec?: SpeechCodec; // default PCMU
}

// 60 s each; seeds fixed so every run scores the same packets.
function trace(lowJitter: boolean, name: string, seed: number, impairments: Partial<ImpairmentProfile>): BenchTrace {
  return { name, lowJitter, build: () => generateTrace({ name, seed, durationS: 60, ...impairments }) };
}

function talkspurts(lowJitter: boolean, name: string, seed: number, jitterSigmaMs: number): BenchTrace {
  return { name, lowJitter, noLoss: lowJitter, build: () => talkspurtTrace({ name, seed, durationS: 60, jitterSigmaMs }) };
}

function packetized(ptimeMs: number, seed: number): BenchTrace {
  const name = `ptime-${ptimeMs}ms-gaussian-10ms`;
  return { name, lowJitter: false, build: () => generateTrace({ name, seed, durationS: 60, ptimeMs, jitter: gaussian(10) }) };
}

function silences(kind: SilenceKind, seed: number): BenchTrace {
  const name = kind === 'cn' ? 'talkspurts-cn-jitter-10ms' : 'talkspurts-opus-dtx-jitter-10ms';
  return { name, lowJitter: false, codec: kind === 'dtx' ? 'opus' : 'PCMU', build: () => silenceTrace(name, seed, kind, 60, 10) };
}

const gaussian = (sigmaMs: number): ImpairmentProfile['jitter'] => ({ kind: 'gaussian', sigmaMs });
const pareto = (scaleMs: number): ImpairmentProfile['jitter'] => ({ kind: 'pareto', scaleMs, shape: 3 });

export const benchTraces: BenchTrace[] = [
  trace(true, 'low-jitter-gaussian', 1, { jitter: gaussian(3) }),
  trace(false, 'gaussian-20ms-burst-loss', 2, { jitter: gaussian(20), loss: { pGoodToBad: 0.01, pBadToGood: 0.4 } }),
  trace(false, 'pareto-heavy-tail', 3, { jitter: pareto(10) }),
  trace(false, 'reorder-duplicate-burst-loss', 4, {
    jitter: gaussian(8),
    loss: { pGoodToBad: 0.02, pBadToGood: 0.3 },
    reorderProbability: 0.03,
    duplicateProbability: 0.02,
  }),
  trace(true, 'skew-plus-500ppm', 5, { jitter: gaussian(4), skewPpm: 500 }),
  trace(true, 'skew-minus-500ppm', 6, { jitter: gaussian(4), skewPpm: -500 }),
  trace(false, 'spike-300ms-every-10s', 7, { jitter: gaussian(5), spikes: { everyS: 10, heightMs: 300 } }),
  trace(false, 'spike-200ms-pareto-loss', 8, {
    jitter: pareto(6),
    loss: { pGoodToBad: 0.01, pBadToGood: 0.5 },
    spikes: { everyS: 7, heightMs: 200 },
  }),
  talkspurts(true, 'asterisk-restarts', 9, 3),
  talkspurts(false, 'asterisk-restarts-jitter-15ms', 10, 15),
  packetized(10, 11),
  packetized(30, 12),
  packetized(60, 13),
  silences('cn', 14),
  silences('dtx', 15),
];

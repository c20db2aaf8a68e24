// The impairment profiles the jitter bench scores (60 s of 20 ms frames each, fixed seeds).
// "low jitter" traces are the ones where the adaptive buffer must beat a fixed 60 ms buffer's delay.
import type { ImpairmentProfile } from '../../test/support/network-impairment.js';

export interface BenchTrace {
  profile: ImpairmentProfile;
  lowJitter: boolean;
}

const durationS = 60;

export const benchTraces: BenchTrace[] = [
  { lowJitter: true, profile: { name: 'low-jitter-gaussian', seed: 1, durationS, jitter: { kind: 'gaussian', sigmaMs: 3 } } },
  {
    lowJitter: false,
    profile: {
      name: 'gaussian-20ms-burst-loss',
      seed: 2,
      durationS,
      jitter: { kind: 'gaussian', sigmaMs: 20 },
      loss: { pGoodToBad: 0.01, pBadToGood: 0.4 },
    },
  },
  {
    lowJitter: false,
    profile: { name: 'pareto-heavy-tail', seed: 3, durationS, jitter: { kind: 'pareto', scaleMs: 10, shape: 3 } },
  },
  {
    lowJitter: false,
    profile: {
      name: 'reorder-duplicate-burst-loss',
      seed: 4,
      durationS,
      jitter: { kind: 'gaussian', sigmaMs: 8 },
      loss: { pGoodToBad: 0.02, pBadToGood: 0.3 },
      reorderProbability: 0.03,
      duplicateProbability: 0.02,
    },
  },
  {
    lowJitter: true,
    profile: { name: 'skew-plus-500ppm', seed: 5, durationS, jitter: { kind: 'gaussian', sigmaMs: 4 }, skewPpm: 500 },
  },
  {
    lowJitter: true,
    profile: { name: 'skew-minus-500ppm', seed: 6, durationS, jitter: { kind: 'gaussian', sigmaMs: 4 }, skewPpm: -500 },
  },
  {
    lowJitter: false,
    profile: {
      name: 'spike-300ms-every-10s',
      seed: 7,
      durationS,
      jitter: { kind: 'gaussian', sigmaMs: 5 },
      spikes: { everyS: 10, heightMs: 300 },
    },
  },
  {
    lowJitter: false,
    profile: {
      name: 'spike-200ms-pareto-loss',
      seed: 8,
      durationS,
      jitter: { kind: 'pareto', scaleMs: 6, shape: 3 },
      loss: { pGoodToBad: 0.01, pBadToGood: 0.5 },
      spikes: { everyS: 7, heightMs: 200 },
    },
  },
];

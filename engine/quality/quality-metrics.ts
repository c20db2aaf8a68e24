// The quality score in /metrics: each ended call's MOS and RTT (histograms), and the live calls
// by G.107 Annex B's user-satisfaction band of their current R-factor (a gauge computed at each
// scrape; four label values).
import { gauge, histogram } from '../metrics.js';
import type { CallQuality } from './call-quality.js';

const mosAtEnd = histogram('parley_call_mos', 'Estimated MOS (E-model, worse direction) of each ended call', [1, 2, 2.5, 3, 3.5, 3.8, 4, 4.2, 4.4, 4.5]);
const rttAtEnd = histogram('parley_call_rtt_ms', 'Mean RTCP round-trip time of each ended call that had one', [5, 10, 20, 50, 100, 150, 200, 300, 500, 1000]);

// G.107 Annex B, Table B.1: R >= 80 satisfied, 70-80 some users dissatisfied, 60-70 many, below
// 60 nearly all.
const BANDS = [
  { band: 'good', minR: 80 },
  { band: 'fair', minR: 70 },
  { band: 'poor', minR: 60 },
  { band: 'bad', minR: -Infinity },
] as const;

export function qualityBand(rFactor: number): (typeof BANDS)[number]['band'] {
  return BANDS.find(({ minR }) => rFactor >= minR)!.band;
}

// Each call registry lends its live calls' scores to the scrape.
const liveSources = new Set<() => Iterable<CallQuality | undefined>>();

export function addLiveQualitySource(source: () => Iterable<CallQuality | undefined>): void {
  liveSources.add(source);
}

gauge('parley_calls_by_quality', 'Live calls by the satisfaction band of their R-factor so far (G.107 Annex B)', ['band'], function collect() {
  const counts = new Map<string, number>(BANDS.map(({ band }) => [band, 0]));
  for (const source of liveSources) {
    for (const quality of source()) if (quality) counts.set(qualityBand(quality.rFactor), counts.get(qualityBand(quality.rFactor))! + 1);
  }
  for (const [band, count] of counts) this.set({ band }, count);
});

export function recordCallQuality(quality: CallQuality): void {
  mosAtEnd.observe(quality.mos);
  if (quality.rttMs !== undefined) rttAtEnd.observe(quality.rttMs);
}

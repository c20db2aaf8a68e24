// The jitter bench's audio scorer (bench/jitter/audio-quality.ts) on an output whose right score is
// known: the source played untouched, only shifted by silences the length of no whole block (a
// sender's pauses), has no spectral distance to the source.
import { describe, expect, it } from 'vitest';
import { clickThreshold, scoreAudio, type SourceTimeline } from '../../../bench/jitter/audio-quality.js';
import { speechSource, SOURCE_RATE_HZ } from '../../../bench/jitter/speech-source.js';

const SECONDS = 20;

function timeline(coded: Int16Array): SourceTimeline {
  return { coded, sendUsAt: (sample) => (sample * 1e6) / SOURCE_RATE_HZ, baseDelayUs: 0, clickThreshold: clickThreshold(coded) };
}

// `coded` with `gap` samples of silence before each of `at` (talkspurt starts).
function withPauses(coded: Int16Array, at: number[], gap: number): Int16Array {
  const out = new Int16Array(coded.length + gap * at.length);
  let from = 0;
  let to = 0;
  for (const cut of at) {
    out.set(coded.subarray(from, cut), to);
    to += cut - from + gap;
    from = cut;
  }
  out.set(coded.subarray(from), to);
  return out;
}

describe('jitter bench audio scorer', () => {
  const coded = speechSource(SECONDS * SOURCE_RATE_HZ, 14);
  const starts = Array.from({ length: SECONDS - 1 }, (_, i) => (i + 1) * SOURCE_RATE_HZ + 37 * i);

  it('finds talkspurts played untouched after pauses of no whole number of blocks where they played', () => {
    // 1013 samples: 6.3 blocks, so the block where each talkspurt resumes is half silence. The
    // right score is 0 dB; it was 0.3 dB while only the best coarse lag was refined and a match of
    // 0.95 near the expected place ended the search after a pause (another pitch period of the
    // same vowel matches that well). What is left is the source's own silences (its line noise
    // between syllables) taken for the sender's, which misplaces some blocks after a pause.
    const score = scoreAudio(withPauses(coded, starts, 1013), 0, timeline(coded));
    expect(score.log_spectral_distance_db).toBeLessThanOrEqual(0.1);
    expect(score.aligned_pct).toBeGreaterThan(99);
  });
});

// The jitter bench's audio scorer (bench/jitter/audio-quality.ts) on an output whose right score is
// known: the source played untouched, only shifted by silences the length of no whole block (a
// sender's pauses), has no spectral distance to the source.
import { describe, expect, it } from 'vitest';
import { clickThreshold, countClicks, scoreAudio, type SourceTimeline } from '../../../bench/jitter/audio-quality.js';
import { speechSource, SOURCE_RATE_HZ } from '../../../bench/jitter/speech-source.js';
import { concatSamples } from '../../support/resampler-quality.js';
import { seededRandom } from '../../support/seeded-random.js';

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

// Outputs built from the source with a known delay: every block that matches has that delay.
describe('jitter bench audio scorer: where a block came from', () => {
  const BLOCK = 160;
  const DELAY_MS = 40;
  const DELAY = (DELAY_MS * SOURCE_RATE_HZ) / 1000;
  const source = speechSource(4 * SOURCE_RATE_HZ, 21);

  // `block` with noise at 0.6 of its RMS: correlates with it at about 0.85.
  function noisy(block: Int16Array, seed: number): Int16Array {
    const random = seededRandom(seed);
    const rms = Math.sqrt(block.reduce((sum, x) => sum + x * x, 0) / block.length);
    return block.map((x) => x + Math.round((random() * 2 - 1) * rms * 1.04));
  }

  it('finds the audio after a loss concealed into silence where the source went on, not in the lost audio', () => {
    // 300 ms lost at 1.5 s, played as silence; the lost audio begins like the audio after it
    // (another syllable of the same vowel, as in speech), at about 0.85. Before, the block after
    // the loss was found there (the pause's hypothesis: 0.75 is enough) and the lost audio scored
    // against the audio played after the loss (mean delay 49.6 ms for 40).
    const lossAt = 1.5 * SOURCE_RATE_HZ;
    const loss = 0.3 * SOURCE_RATE_HZ;
    const coded = source.slice();
    for (let b = 0; b < 5; b++) {
      const after = coded.subarray(lossAt + loss + b * BLOCK, lossAt + loss + (b + 1) * BLOCK);
      coded.set(noisy(after, 100 + b), lossAt + b * BLOCK);
    }
    const out = concatSamples([new Int16Array(DELAY), coded.subarray(0, lossAt), new Int16Array(loss), coded.subarray(lossAt + loss)]);
    const score = scoreAudio(out, 0, timeline(coded));
    expect(score.mean_delay_ms).toBe(DELAY_MS);
    expect(score.p95_delay_ms).toBe(DELAY_MS);
  });

  it('does not take concealment replaying the last block for the place the source has reached', () => {
    // After a packet, two blocks of concealment that match nothing, then one that replays the
    // packet's own audio (a decoder repeating its last pitch period), silence, and the audio
    // after the loss. Before, the replayed block was a match 60 ms late and the anchor of the
    // search for the next one.
    const lossAt = 1.5 * SOURCE_RATE_HZ;
    const concealed = 3 * BLOCK;
    const silent = 3 * BLOCK;
    const random = seededRandom(7);
    const unmatched = Int16Array.from({ length: 2 * BLOCK }, () => Math.round((random() * 2 - 1) * 600));
    const replayed = source.slice(lossAt - BLOCK + 6, lossAt + 6).map((x) => x >> 2);
    const out = concatSamples([
      new Int16Array(DELAY),
      source.subarray(0, lossAt),
      unmatched,
      replayed,
      new Int16Array(silent),
      source.subarray(lossAt + concealed + silent),
    ]);
    const score = scoreAudio(out, 0, timeline(source));
    expect(score.mean_delay_ms).toBe(DELAY_MS);
  });

  it('finds a talkspurt resuming after a pause whose start was noise, not silence, where it resumed', () => {
    // A talkspurt ends at 2.3 s; the output goes on with 100 ms of fading noise (concealment that
    // fades into noise, not silence, before the buffer knows the sender paused), then silence, and
    // the next talkspurt resumes off the block grid. Before, only the silent part counted as the
    // pause: the block where speech resumed was looked for 100 ms too far on, a vowel matched it
    // there at 0.94 (the right place: 0.97), and the mean delay came out 41.01 ms for 40.
    const talkspurt = 2.3 * SOURCE_RATE_HZ;
    const random = seededRandom(3);
    const noise = Int16Array.from({ length: 5 * BLOCK }, (_, i) => Math.round((random() * 2 - 1) * 2000 * 10 ** (-i / 400)));
    const silence = new Int16Array(4 * BLOCK + 53);
    const pauseUs = ((noise.length + silence.length) * 1e6) / SOURCE_RATE_HZ;
    const sendUsAt = (sample: number): number => (sample * 1e6) / SOURCE_RATE_HZ + (sample >= talkspurt ? pauseUs : 0);
    const out = concatSamples([new Int16Array(DELAY), source.subarray(0, talkspurt), noise, silence, source.subarray(talkspurt)]);
    const score = scoreAudio(out, 0, { ...timeline(source), sendUsAt });
    expect(score.mean_delay_ms).toBe(DELAY_MS);
  });

  it('never finds a block in source audio sent after it played', () => {
    // Two talkspurts a second apart; the output's last block of the first is its source plus
    // noise (a decoder's transition into DTX), and the second talkspurt begins with exactly that
    // audio. Before, the block was found there, 1 s before it was sent (delay -985 ms).
    const talkspurt = 1.5 * SOURCE_RATE_HZ;
    const pauseUs = 1_000_000;
    const coded = source.slice(0, 2 * talkspurt);
    const ending = noisy(coded.subarray(talkspurt - BLOCK, talkspurt), 5);
    coded.set(ending, talkspurt);
    const sendUsAt = (sample: number): number => (sample * 1e6) / SOURCE_RATE_HZ + (sample >= talkspurt ? pauseUs : 0);
    const out = concatSamples([
      new Int16Array(DELAY),
      coded.subarray(0, talkspurt - BLOCK),
      ending,
      new Int16Array((pauseUs * SOURCE_RATE_HZ) / 1e6),
      coded.subarray(talkspurt),
    ]);
    const score = scoreAudio(out, 0, { ...timeline(coded), sendUsAt });
    expect(score.mean_delay_ms).toBe(DELAY_MS);
  });
});

// A sender that stops and resumes mid-waveform (the talkspurt traces cut one continuous synthetic
// source wherever their lengths fall): played exactly as sent, its pauses step to and from silence.
describe('jitter bench audio scorer: clicks', () => {
  const coded = speechSource(SECONDS * SOURCE_RATE_HZ, 14);
  const GAP = 1600; // 200 ms pauses
  // Where the waveform peaks within 50 ms of `near`: a step there is at full swing.
  const peakNear = (x: Int16Array, near: number): number => {
    let peak = near;
    for (let at = near - 400; at < near + 400; at++) if (Math.abs(x[at]!) > Math.abs(x[peak]!)) peak = at;
    return peak;
  };
  // The sender stops and resumes at full swing near each second's mark.
  const cuts = Array.from({ length: SECONDS - 2 }, (_, i) => peakNear(coded, (i + 1) * SOURCE_RATE_HZ));
  const pausedTimeline: SourceTimeline = {
    ...timeline(coded),
    sendUsAt: (sample) => ((sample + GAP * cuts.filter((cut) => cut <= sample).length) * 1e6) / SOURCE_RATE_HZ,
  };
  const asSent = withPauses(coded, cuts, GAP);

  it("does not count the sender's own steps at its pauses", () => {
    // The source as sent clicks at its pauses; `coded` alone, where the talkspurts join without a
    // step, has none of those clicks. They were charged to the output: 61 a minute (24 clicks at
    // 18 pauses).
    expect(countClicks(asSent, pausedTimeline.clickThreshold)).toBeGreaterThanOrEqual(cuts.length / 2);
    expect(scoreAudio(asSent, 0, pausedTimeline).clicks_per_min).toBe(0);
  });

  it('still counts a step the output adds inside a talkspurt', () => {
    // Three steps of the output's own, half a second after a pause: 5 ms shifted by a third of
    // full scale (one click each: its two edges are closer than a click's length).
    const out = asSent.slice();
    const steps = [2, 6, 11].map((i) => cuts[i]! + (i + 1) * GAP + SOURCE_RATE_HZ / 2);
    for (const at of steps) for (let n = at; n < at + 40; n++) out[n] = Math.min(32767, out[n]! + 10_000);
    expect(countClicks(out, pausedTimeline.clickThreshold) - countClicks(asSent, pausedTimeline.clickThreshold)).toBe(steps.length);
    const minutes = out.length / SOURCE_RATE_HZ / 60;
    expect(scoreAudio(out, 0, pausedTimeline).clicks_per_min).toBeCloseTo(steps.length / minutes, 1);
  });
});

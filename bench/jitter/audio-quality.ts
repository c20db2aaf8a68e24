// What the listener hears, scored against the clean source as the codec delivers it (the packets'
// own audio, decoded in order: what a perfect buffer would play, so the codec's distortion, the
// same for every buffer, is not counted): each 20 ms output block is aligned with the place in the
// source it came from (normalised cross-correlation, searched around where the previous block was
// found), which gives its added delay; the log-spectral distance of every speech block of the
// source against where it played (or where it should have been, for blocks that align nowhere:
// concealment); and the clicks, bursts above anything in the coded source. Hand-written, as is the 256-point FFT: a few dozen lines against
// a DSP dependency for a bench.
import { round2, round3 } from '../side-by-side.js';

const BLOCK = 160;
const HALF = BLOCK / 2;
const FFT_SIZE = 256;
const SILENT_RMS = 60;
// Spectral distance is scored where the source is speech: between syllables it is line noise,
// whose spectrum is random from block to block whatever the buffer does.
const SPEECH_RMS = 300;
const ALIGNED_CORRELATION = 0.75;
const SEARCH_MARGIN = 400; // 50 ms either side of where the block is expected
const NEAR = 8;
// 15 ms: TimeStretch's longest lag.
const REFINE = 120;
const REACQUIRE_AFTER = 3; // blocks unmatched before looking further ahead
const REACQUIRE_AHEAD = 8000; // 1 s
const REACQUIRE_CORRELATION = 0.95;
// 10 ms of voiced speech matches itself a pitch period away nearly as well: halves must match closely.
const HALF_CORRELATION = 0.95;
const PAUSE_SLOPE = 2.5; // output per source sample: beyond a frame inserted per frame
const NEAR_ENOUGH = 0.95;
// After silent output (a sender's pause) the expected place is only as good as the pause's length
// in whole blocks: a block half pause, half speech is neither silent nor matched. There a vowel
// matches itself a pitch period or two away at 0.95 (a talkspurt played untouched was matched
// 28 ms off and scored 11 dB), so only a match this close ends the search.
const RESUMED_ENOUGH = 0.99;
// Concealment found inside the last matched block is at most this loud against it (scoreAudio).
const REPLAY_LOUDNESS = 0.5;
// A source block that correlates with no output within REFINE of its interpolated place under
// this did not play there (its audio was lost and concealed): the best of those weak matches is
// only whichever neighbouring audio resembles it most, played before or after the loss, and
// scoring the block there credited one buffer or the other by chance (the 20 ms burst-loss trace:
// one lost block compared at 0.23 in one buffer's output and 0.25 in the other's, 143 samples
// apart, scored 12.54 and 24.98 dB). It is compared where it should have played.
const MATCHED_ANYWHERE = 0.5;
const LSD_FLOOR = 1e-5; // -50 dB below the source block's strongest bin
const CLICK_GAP = 80; // samples within one click
const SAMPLE_US = 125;

function rms(x: Int16Array, from: number, length: number): number {
  let energy = 0;
  for (let i = from; i < from + length; i++) energy += x[i]! * x[i]!;
  return Math.sqrt(energy / length);
}

function correlation(a: Int16Array, at: number, b: Int16Array, bt: number, step: number, length: number): number {
  let cross = 0;
  let ea = 0;
  let eb = 0;
  for (let i = 0; i < length; i += step) {
    const x = a[at + i]!;
    const y = b[bt + i]!;
    cross += x * y;
    ea += x * x;
    eb += y * y;
  }
  return ea > 0 && eb > 0 ? cross / Math.sqrt(ea * eb) : 0;
}

// Best source offset in [lo, hi] for the `length` output samples at `p`: every other lag on
// every other sample, then every coarse peak close to the best refined (`exact`: every lag on
// every sample). Refining the best coarse lag alone is not enough: this speech has harmonics up
// to 3 kHz, so the grid a sample off the true place scores 0.85 there, below another pitch
// period that it hits exactly (0.99; a talkspurt played untouched was matched 28 ms off and
// scored 11 dB).
const PEAK_SLACK = 0.25;
function align(out: Int16Array, p: number, source: Int16Array, lo: number, hi: number, length = BLOCK, exact = false): { q: number; score: number } {
  lo = Math.max(0, lo);
  hi = Math.min(source.length - length, hi);
  const coarse = exact ? 1 : hi - lo > 4000 ? 4 : 2;
  const scores: number[] = [];
  for (let q = lo; q <= hi; q += coarse) scores.push(correlation(out, p, source, q, coarse, length));
  const top = scores.reduce((max, score) => Math.max(max, score), -2);
  let best = { q: lo, score: -2 };
  scores.forEach((score, i) => {
    const peak = score >= top - PEAK_SLACK && score >= (scores[i - 1] ?? -2) && score >= (scores[i + 1] ?? -2);
    if (!peak) return;
    const centre = lo + i * coarse;
    if (exact) {
      if (score > best.score) best = { q: centre, score };
      return;
    }
    for (let q = Math.max(lo, centre - coarse); q <= Math.min(hi, centre + coarse); q++) {
      const refined = correlation(out, p, source, q, 1, length);
      if (refined > best.score) best = { q, score: refined };
    }
  });
  return best;
}

// A block that a stretch cut or lengthened holds two pieces of the source a pitch period apart,
// and matches no 20 ms of it as a whole: its first or its second half still does (the cut lies in
// one of them). Returns where the block's start sits in the source.
function alignHalves(out: Int16Array, p: number, source: Int16Array, lo: number, hi: number): { q: number; score: number } {
  const first = align(out, p, source, lo, hi, HALF);
  const second = align(out, p + HALF, source, lo + HALF, hi + HALF, HALF);
  return first.score >= second.score ? first : { q: second.q - HALF, score: second.score };
}

// In-place radix-2 FFT of (re, im), length a power of two.
function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j]!, re[i]!];
      [im[i], im[j]] = [im[j]!, im[i]!];
    }
  }
  for (let size = 2; size <= n; size <<= 1) {
    const angle = (-2 * Math.PI) / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < size / 2; k++) {
        const wr = Math.cos(angle * k);
        const wi = Math.sin(angle * k);
        const a = start + k;
        const b = a + size / 2;
        const tr = re[b]! * wr - im[b]! * wi;
        const ti = re[b]! * wi + im[b]! * wr;
        re[b] = re[a]! - tr;
        im[b] = im[a]! - ti;
        re[a] = re[a]! + tr;
        im[a] = im[a]! + ti;
      }
    }
  }
}

const hann = Float64Array.from({ length: BLOCK }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / BLOCK));

function powerSpectrum(x: Int16Array, at: number): Float64Array {
  const re = new Float64Array(FFT_SIZE);
  const im = new Float64Array(FFT_SIZE);
  for (let i = 0; i < BLOCK; i++) re[i] = (x[at + i] ?? 0) * hann[i]!;
  fft(re, im);
  return Float64Array.from({ length: FFT_SIZE / 2 }, (_, k) => re[k]! * re[k]! + im[k]! * im[k]!);
}

// Root-mean-square difference of the two log spectra, 60 Hz - 3.8 kHz, in dB.
function logSpectralDistanceDb(out: Int16Array, p: number, source: Int16Array, q: number): number {
  const a = powerSpectrum(out, p);
  const b = powerSpectrum(source, q);
  const floor = Math.max(...b) * LSD_FLOOR + 1e-9;
  let sum = 0;
  let bins = 0;
  for (let k = 2; k < 122; k++) {
    const d = 10 * Math.log10(Math.max(a[k]!, floor) / Math.max(b[k]!, floor));
    sum += d * d;
    bins++;
  }
  return Math.sqrt(sum / bins);
}

// Clicks: a step in the waveform spreads energy over the whole band, and this source has none
// above 3 kHz (its harmonics stop there, its noise is low-passed), so a click is a 2 ms burst
// above 3.3 kHz stronger than anything the clean source (through the same codec) ever has there.
const HIGH_PASS_TAPS = 41;
const HIGH_PASS_HZ = 3300;
const BURST_SAMPLES = 16;
const CLICK_MARGIN = 1.5;
const highPass = Float64Array.from({ length: HIGH_PASS_TAPS }, (_, i) => {
  // Windowed-sinc (Hamming): an all-pass minus a low-pass.
  const m = i - (HIGH_PASS_TAPS - 1) / 2;
  const fc = HIGH_PASS_HZ / 8000;
  const lowPass = m === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * m) / (Math.PI * m);
  return ((m === 0 ? 1 : 0) - lowPass) * (0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (HIGH_PASS_TAPS - 1)));
});

// The RMS above 3.3 kHz over the BURST_SAMPLES ending at each sample.
function highBandRms(x: Int16Array): Float64Array {
  const out = new Float64Array(x.length);
  const squares = new Float64Array(x.length);
  let sum = 0;
  for (let n = HIGH_PASS_TAPS; n < x.length; n++) {
    let y = 0;
    for (let k = 0; k < HIGH_PASS_TAPS; k++) y += highPass[k]! * x[n - k]!;
    squares[n] = y * y;
    sum += squares[n]! - (n >= BURST_SAMPLES ? squares[n - BURST_SAMPLES]! : 0);
    out[n] = Math.sqrt(Math.max(0, sum) / BURST_SAMPLES);
  }
  return out;
}

// The click threshold for a clean source as the codec delivers it.
export function clickThreshold(coded: Int16Array): number {
  return CLICK_MARGIN * highBandRms(coded).reduce((max, value) => Math.max(max, value), 0);
}

// Where the clicks in `out` are: bursts above `threshold` (clickThreshold of its clean source),
// one per CLICK_GAP, each at the sample its burst ends.
function clickPositions(out: Int16Array, threshold: number): number[] {
  const band = highBandRms(out);
  const at: number[] = [];
  let last = -CLICK_GAP;
  for (let n = 0; n < band.length; n++) {
    if (band[n]! <= threshold || n - last < CLICK_GAP) continue;
    at.push(n);
    last = n;
  }
  return at;
}

export function countClicks(out: Int16Array, threshold: number): number {
  return clickPositions(out, threshold).length;
}

// The sender's own clicks. A talkspurt trace cuts one continuous synthetic source into talkspurts
// wherever its lengths fall, so the sender stops and resumes mid-waveform: played exactly as sent,
// with its pauses, the source steps to and from silence there (the Asterisk restart trace: 14
// clicks at its 23 pauses; no buffer can play a talkspurt's first sample without its step, short
// of changing the audio). `coded` alone, the talkspurts joined, has none of those steps, so they
// were charged to every buffer alike (all the clicks on the Asterisk restart, Asterisk 15 ms
// jitter and CN traces, in both buffers). Each pause of the sender (its send time leaping past
// the samples' own length) is played here as sent, silence between the audio either side, and
// the clicks found there are the source's.
const PAUSE_US = 5000;
const EDGE_CONTEXT = 2 * BLOCK; // audio either side of a pause: longer than the high-pass and a burst
const MAX_EDGE_SPAN = 4 * BLOCK; // how far a pause may lie outside the matched blocks either side of a click
function senderClicks(timeline: SourceTimeline): Array<{ at: number; clicks: number }> {
  const { coded, sendUsAt } = timeline;
  const edges: Array<{ at: number; clicks: number }> = [];
  for (let at = 1, previousUs = sendUsAt(0); at < coded.length; at++) {
    const sendUs = sendUsAt(at);
    const paused = sendUs - previousUs > SAMPLE_US + PAUSE_US;
    previousUs = sendUs;
    if (!paused) continue;
    const asSent = new Int16Array(3 * EDGE_CONTEXT);
    asSent.set(coded.subarray(Math.max(0, at - EDGE_CONTEXT), at), EDGE_CONTEXT - Math.min(at, EDGE_CONTEXT));
    asSent.set(coded.subarray(at, at + EDGE_CONTEXT), 2 * EDGE_CONTEXT);
    const clicks = countClicks(asSent, timeline.clickThreshold);
    if (clicks > 0) edges.push({ at, clicks });
  }
  return edges;
}

// The clicks in `out` that are not the sender's. A click is the sender's where the output there is
// the sender's own step: the source's audio starting (its first HALF, exactly) or ending (its last
// HALF) within the click's burst, at a pause where the source as sent clicks, each of those
// clicks excusing one. Only pauses near where the matched blocks either side of the click place
// it are tried: the block half pause, half speech around a talkspurt's start matches nowhere
// exactly, and was placed 284 samples off in one output.
const EXACT = 0.99;
function buffersClicks(out: Int16Array, timeline: SourceTimeline, pairs: Array<{ p: number; q: number }>): number {
  const { coded } = timeline;
  const edges = senderClicks(timeline);
  const plays = (p: number, q: number): boolean => p >= 0 && q >= 0 && p + HALF <= out.length && q + HALF <= coded.length && correlation(out, p, coded, q, 1, HALF) >= EXACT;
  const stepAt = (n: number, at: number): boolean => {
    for (let p = n - CLICK_GAP; p <= n; p++) if (plays(p, at) || plays(p - HALF, at - HALF)) return true;
    return false;
  };
  let count = 0;
  let j = 0;
  for (const n of clickPositions(out, timeline.clickThreshold)) {
    while (j + 1 < pairs.length && pairs[j + 1]!.p <= n) j++;
    const lo = (pairs[j]?.q ?? 0) - MAX_EDGE_SPAN;
    const hi = (pairs[j + 1]?.q ?? coded.length) + MAX_EDGE_SPAN;
    const edge = edges.find((e) => e.clicks > 0 && e.at >= lo && e.at <= hi && stepAt(n, e.at));
    if (edge !== undefined) edge.clicks--;
    else count++;
  }
  return count;
}

export interface SourceTimeline {
  // The clean audio through the codec, every packet's samples one after another (pauses left
  // out). Not the clean audio itself: Opus keeps the spectrum, not the waveform, and against it a
  // tenth of the DTX trace's blocks found no match and the scorer lost its place for seconds.
  coded: Int16Array;
  sendUsAt: (sample: number) => number; // when the sender sent that sample
  baseDelayUs: number;
  clickThreshold: number; // clickThreshold() of the clean source through the codec
}

export interface AudioScore {
  mean_delay_ms: number;
  p95_delay_ms: number;
  log_spectral_distance_db: number;
  clicks_per_min: number;
  aligned_pct: number; // non-silent blocks found in the source
}


// `out` starts at `startUs` on the trace's clock and runs on without gaps.
export function scoreAudio(out: Int16Array, startUs: number, timeline: SourceTimeline): AudioScore {
  const { coded } = timeline;
  // Pass 1: where each non-silent block came from, if it matches the source anywhere near where
  // the last match was (after a run of failures, anywhere ahead: a drained backlog plays faster).
  // Silent output since the last match is most often a pause of the sender, whose source has no
  // samples (talkspurts, CN, DTX): the block is looked for first where the source resumes after
  // it, then as far ahead as the silence lasted (a loss concealed into silence).
  const blocks: Array<{ p: number; q?: number; silent?: boolean }> = [];
  const delaysMs: number[] = [];
  let last: { p: number; q: number } | undefined;
  let misses = 0;
  let silentSince = 0;
  // No sample plays before it was sent and crossed the path's base delay: a source block is looked
  // for only up to the last one that could have reached the output block (a held vowel matches
  // itself, at 0.87-0.95, in the next talkspurt a second later, which a block before the pause
  // was found in).
  const latestSource = (p: number): number => {
    const playedUs = startUs + (p + BLOCK - 1) * SAMPLE_US - timeline.baseDelayUs;
    let lo = -1;
    let hi = coded.length - BLOCK;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (timeline.sendUsAt(mid + BLOCK - 1) <= playedUs) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  for (let p = 0; p + BLOCK <= out.length; p += BLOCK) {
    if (rms(out, p, BLOCK) < SILENT_RMS) {
      blocks.push({ p, silent: true });
      silentSince += BLOCK;
      continue;
    }
    const expected = last === undefined ? 0 : last.q + (p - last.p) - silentSince;
    const latest = latestSource(p);
    let found = last === undefined ? { q: 0, score: -2 } : align(out, p, coded, expected - NEAR, Math.min(latest, expected + NEAR));
    let needed = ALIGNED_CORRELATION;
    if (found.score < (silentSince > 0 || misses > 0 ? RESUMED_ENOUGH : NEAR_ENOUGH) && last !== undefined) {
      // Near where it is expected first (the output may have concealed or sped up since), so
      // that a syllable of the same pitch further away cannot win over it; then back to the
      // last match (concealment played since) and ahead over the silence.
      const nearby = (lo: number, upTo: number): { q: number; score: number } => {
        const hi = Math.min(latest, upTo);
        const whole = align(out, p, coded, lo, hi);
        if (whole.score >= ALIGNED_CORRELATION) return whole;
        // Halves correlate closely by chance over a long stretch of voiced source: near only.
        const halves = hi - lo <= 4 * SEARCH_MARGIN ? alignHalves(out, p, coded, lo, hi) : whole;
        return halves.score >= HALF_CORRELATION ? { ...halves, score: ALIGNED_CORRELATION } : whole;
      };
      found = nearby(expected - SEARCH_MARGIN, expected + SEARCH_MARGIN);
      if (found.score < RESUMED_ENOUGH && (silentSince > 0 || misses > 0)) {
        // The silence may have been concealment faded out (a burst loss), not the sender's pause:
        // the source went on under it. Where the block matches its source exactly there, that is
        // where it came from, whatever weaker match the pause's hypothesis found (another syllable
        // of the same vowel: lost audio scored against the audio after the loss).
        const onward = align(out, p, coded, last.q - SEARCH_MARGIN, Math.min(latest, expected + SEARCH_MARGIN + silentSince));
        if (onward.score >= RESUMED_ENOUGH) found = onward;
      }
      if (found.score < RESUMED_ENOUGH && misses > 0) {
        // Unmatched output that is not silent may be a pause all the same: concealment at a
        // talkspurt's end faded into noise rather than silence, which only the buffer's choice of
        // fill tells from the silence counted above. Where the block matches better as if that
        // output had been the pause too (after the last match, never before), that is where it
        // came from: a buffer filling a pause's start with noise had the next talkspurt matched
        // 0.94 to a vowel 65 ms on (the right place, 0.97), and its blocks scored there.
        const paused = expected - misses * BLOCK;
        const resumed = align(out, p, coded, Math.max(last.q + BLOCK, paused - SEARCH_MARGIN), Math.min(latest, paused + SEARCH_MARGIN));
        if (resumed.score > found.score) found = resumed;
      }
      if (found.score < needed) found = nearby(last.q - SEARCH_MARGIN, expected + SEARCH_MARGIN + silentSince);
    }
    if (found.score < needed && (last === undefined || misses >= REACQUIRE_AFTER)) {
      // Over a second of voiced source some other syllable of the same pitch matches 0.75.
      found = last === undefined ? align(out, p, coded, 0, latest) : align(out, p, coded, expected + SEARCH_MARGIN + silentSince, Math.min(latest, expected + SEARCH_MARGIN + silentSince + REACQUIRE_AHEAD));
      needed = REACQUIRE_CORRELATION;
    }
    // After unmatched output (concealment), a block found inside the last matched one and at
    // most half as loud is the concealment still repeating that block's last pitch period as it
    // fades (G.711 Appendix I attenuates 20 % per 10 ms, libopus fades alike), not the place the
    // source has reached: taken as an anchor, it set the next search back by the concealment's
    // length, and the packet after a burst loss was found a period of the same vowel away (60 ms
    // off), the lost blocks mapped onto played audio. A louder one there is a talkspurt resuming
    // off the block grid (after a pause of no whole number of blocks).
    const replay =
      misses > 0 && last !== undefined && found.q >= last.q && found.q < last.q + BLOCK && rms(out, p, BLOCK) <= REPLAY_LOUDNESS * rms(out, last.p, BLOCK);
    if (found.score >= needed && !replay) {
      last = { p, q: found.q };
      misses = 0;
      silentSince = 0;
      blocks.push({ p, q: found.q });
      delaysMs.push((startUs + p * SAMPLE_US - timeline.sendUsAt(found.q) - timeline.baseDelayUs) / 1000);
    } else {
      misses++;
      blocks.push({ p });
    }
  }
  // Pass 2: the log-spectral distance of every speech block of the source against the output
  // where it played, by one monotone mapping from source to output through the matched blocks,
  // interpolated between them. The same source blocks are scored whatever the buffer did, so
  // what it dropped (mapped onto the join where it went missing), inserted (stretching the
  // mapping over a frame of concealment) or concealed is scored too, and stretching is scored
  // on the audio it compressed or lengthened. A step of the mapping steeper than
  // PAUSE_SLOPE is the sender's pause: the block maps to its nearer side.
  const pairs: Array<{ p: number; q: number }> = [];
  for (const block of blocks) {
    if (block.q === undefined) continue;
    const previous = pairs.at(-1);
    if (previous === undefined || (block.q > previous.q && block.p > previous.p)) pairs.push({ p: block.p, q: block.q });
  }
  let lsdSum = 0;
  let lsdBlocks = 0;
  for (let j = 0, q = pairs[0]?.q ?? 0; pairs.length > 1 && q <= pairs.at(-1)!.q; q += BLOCK) {
    while (pairs[j + 1]!.q <= q && j + 2 < pairs.length) j++;
    if (rms(coded, q, BLOCK) < SPEECH_RMS) continue;
    const before = pairs[j]!;
    const after = pairs[j + 1]!;
    const slope = (after.p - before.p) / (after.q - before.q);
    const p =
      slope > PAUSE_SLOPE
        ? q - before.q < after.q - q
          ? before.p + (q - before.q)
          : after.p - (after.q - q)
        : before.p + Math.round((q - before.q) * slope);
    if (p < 0 || p + BLOCK > out.length) continue;
    // Interpolated, p is off by what a stretch inside the span moved (up to a pitch period, or a
    // few for a multi-period one): the block is compared where its waveform best matches within
    // that, as it is for every buffer.
    const refined = align(coded, q, out, Math.max(0, p - REFINE), Math.min(out.length - BLOCK, p + REFINE), BLOCK, true);
    lsdSum += logSpectralDistanceDb(out, refined.score >= MATCHED_ANYWHERE ? refined.q : p, coded, q);
    lsdBlocks++;
  }
  delaysMs.sort((a, b) => a - b);
  const minutes = out.length / 8000 / 60;
  return {
    mean_delay_ms: round2(delaysMs.reduce((sum, d) => sum + d, 0) / Math.max(1, delaysMs.length)),
    p95_delay_ms: round2(delaysMs[Math.min(delaysMs.length - 1, Math.floor(0.95 * delaysMs.length))] ?? 0),
    // Three decimals: the goal compares it with the previous buffer's, and two hid a 0.003 dB loss.
    log_spectral_distance_db: round3(lsdSum / Math.max(1, lsdBlocks)),
    clicks_per_min: round2(buffersClicks(out, timeline, pairs) / minutes),
    aligned_pct: round2((100 * delaysMs.length) / Math.max(1, blocks.filter((b) => b.silent !== true).length)),
  };
}

// Audio checks shared by the Asterisk tests (real Asterisk and the ARI double).
import { bestAlignment, BLOCK_MATCH, blockCorrelations, rmsDbfs } from '../signal-metrics.js';

// Median, over the 200 ms windows of `reference` that hold speech, of each window's best
// correlation with `signal` at a lag in [0, maxLag]. Judged per window so that a late tick on a
// loaded machine (one concealed or repeated frame shifts everything after it) does not hide
// whether the content arrived; a wrong or silent stream still scores near 0.
export function windowedCorrelation(reference: Int16Array, signal: Int16Array, window: number, maxLag: number): number {
  const scores: number[] = [];
  for (let start = 0; start + window <= reference.length; start += window) {
    const part = reference.subarray(start, start + window);
    if (rmsDbfs(part) < -45) continue;
    scores.push(bestAlignment(part, signal.subarray(start), 0, maxLag).correlation);
  }
  scores.sort((a, b) => a - b);
  return scores[Math.floor(scores.length / 2)] ?? 0;
}

// SNR of a pure tone of `frequencyHz` in `signal`: per `blockMs` block, the least-squares fit of
// a·sin + b·cos at that frequency against what is left over (codec noise, glitches, anything
// else). Returns the median over the blocks where the tone is present (fitted level above
// `minDbfs`, SNR above 10 dB) and how many such blocks there were.
export function toneSnrDb(signal: Int16Array, frequencyHz: number, rateHz: number, minDbfs = -30, blockMs = 100): { snrDb: number; blocks: number } {
  const block = (rateHz * blockMs) / 1000;
  const results: number[] = [];
  for (let start = 0; start + block <= signal.length; start += block) {
    let ss = 0;
    let cc = 0;
    let sc = 0;
    let xs = 0;
    let xc = 0;
    for (let i = 0; i < block; i++) {
      const phase = (2 * Math.PI * frequencyHz * (start + i)) / rateHz;
      const s = Math.sin(phase);
      const c = Math.cos(phase);
      const x = signal[start + i]!;
      ss += s * s;
      cc += c * c;
      sc += s * c;
      xs += x * s;
      xc += x * c;
    }
    const det = ss * cc - sc * sc;
    const a = (xs * cc - xc * sc) / det;
    const b = (xc * ss - xs * sc) / det;
    let tone = 0;
    let residual = 0;
    for (let i = 0; i < block; i++) {
      const phase = (2 * Math.PI * frequencyHz * (start + i)) / rateHz;
      const fitted = a * Math.sin(phase) + b * Math.cos(phase);
      tone += fitted * fitted;
      residual += (signal[start + i]! - fitted) ** 2;
    }
    const snr = 10 * Math.log10(tone / Math.max(residual, 1e-9));
    if (20 * Math.log10(Math.sqrt(tone / block) / 32768) < minDbfs || snr < 10) continue;
    results.push(snr);
  }
  results.sort((x, y) => x - y);
  return { snrDb: results[Math.floor(results.length / 2)] ?? -Infinity, blocks: results.length };
}

// How well `signal` carries `reference` (both at `rateHz`) when it arrives up to `maxLagMs`
// later: the delay is found on 5 ms energy envelopes, then each 200 ms block of the reference
// that holds sound is correlated within ±10 ms of it. `correlation` is the median block score;
// `matched` the share of blocks scoring above 0.5 — a lost stretch scores its blocks near 0, so
// `matched` near 1 says no part of the reference was lost. With `slipMs`, the stream may also fall
// behind by up to that much at a time, and is followed (blockCorrelations' `slip`; never ahead,
// so lost audio still scores as missing). Timing checks leave it 0: there a slip is what they
// look for.
export function speechMatch(
  reference: Int16Array,
  signal: Int16Array,
  rateHz: number,
  maxLagMs = 600,
  slipMs = 0,
): { correlation: number; matched: number; lagMs: number } {
  const hop = rateHz / 200;
  const envelope = (x: Int16Array): Float64Array => {
    const out = new Float64Array(Math.floor(x.length / hop));
    for (let i = 0; i < out.length; i++) {
      let sum = 0;
      for (let j = i * hop; j < (i + 1) * hop; j++) sum += x[j]! * x[j]!;
      out[i] = Math.sqrt(sum / hop);
    }
    return out;
  };
  const lag = bestAlignment(envelope(reference), envelope(signal), 0, maxLagMs / 5).lag * hop;
  const scores = blockCorrelations(reference, signal, lag, rateHz / 5, 2 * hop, -45, (rateHz * slipMs) / 1000).sort((a, b) => a - b);
  return {
    correlation: scores[Math.floor(scores.length / 2)] ?? 0,
    matched: scores.filter((score) => score > BLOCK_MATCH).length / Math.max(1, scores.length),
    lagMs: (lag * 1000) / rateHz,
  };
}

// Goertzel power of one frequency: which of several tones a signal carries.
export function powerAt(signal: Int16Array, frequencyHz: number, rateHz: number): number {
  const coefficient = 2 * Math.cos((2 * Math.PI * frequencyHz) / rateHz);
  let s1 = 0;
  let s2 = 0;
  for (const sample of signal) {
    const s0 = sample + coefficient * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coefficient * s1 * s2;
}

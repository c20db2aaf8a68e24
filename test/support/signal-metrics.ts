// Measurements tests assert on: level, similarity and delay between two signals.

export function rmsDbfs(signal: ArrayLike<number>, start = 0, end = signal.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum += signal[i]! * signal[i]!;
  const rms = Math.sqrt(sum / Math.max(1, end - start));
  return 20 * Math.log10(Math.max(rms, 1e-9) / 32768);
}

// Normalised cross-correlation of `b` against `a` at lag `lag` (b[i + lag] ~ a[i]).
export function correlationAt(a: ArrayLike<number>, b: ArrayLike<number>, lag: number): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = Math.max(0, -lag); i < a.length && i + lag < b.length; i++) {
    const x = a[i]!;
    const y = b[i + lag]!;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return aa === 0 || bb === 0 ? 0 : ab / Math.sqrt(aa * bb);
}

// The lag in [minLag, maxLag] at which `b` best matches `a`, and the correlation there.
export function bestAlignment(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  minLag: number,
  maxLag: number,
): { lag: number; correlation: number } {
  let best = { lag: minLag, correlation: -Infinity };
  for (let lag = minLag; lag <= maxLag; lag++) {
    const correlation = correlationAt(a, b, lag);
    if (correlation > best.correlation) best = { lag, correlation };
  }
  return best;
}

// Signal-to-noise ratio of `b` as a copy of `a` delayed by `lag`, in dB.
export function snrDb(a: ArrayLike<number>, b: ArrayLike<number>, lag = 0): number {
  let signal = 0;
  let noise = 0;
  for (let i = Math.max(0, -lag); i < a.length && i + lag < b.length; i++) {
    const error = b[i + lag]! - a[i]!;
    signal += a[i]! * a[i]!;
    noise += error * error;
  }
  return 10 * Math.log10(signal / Math.max(noise, 1e-9));
}

// Block by block (blocks of `a` quieter than `minDbfs` skipped), the best correlation of `b`
// within ±`slack` of `lag`. An adaptive jitter buffer may stretch or shorten playout by a frame
// when the network (or a loaded test machine) jitters: the content still matches block by block
// while a single lag over the whole signal does not. With `slip`, `b` may also fall behind by up
// to that many samples at a time (a stall delays everything after it, losing nothing): a block
// not found within ±`slack` is looked for up to `slip` later, and once found (above
// BLOCK_MATCH) the blocks after it are looked for from there. Never earlier: audio lost from `b`
// brings what follows earlier, and those blocks still score as missing.
export function blockCorrelations(
  a: Int16Array,
  b: ArrayLike<number>,
  lag: number,
  blockSamples: number,
  slack: number,
  minDbfs = -40,
  slip = 0,
): number[] {
  const result: number[] = [];
  let at = lag;
  for (let start = 0; start + blockSamples <= a.length; start += blockSamples) {
    if (rmsDbfs(a, start, start + blockSamples) < minDbfs) continue;
    const block = a.subarray(start, start + blockSamples);
    let best = bestAlignment(block, b, start + at - slack, start + at + slack);
    if (slip > 0 && best.correlation <= BLOCK_MATCH) {
      const later = bestAlignment(block, b, start + at + slack, start + at + slip);
      if (later.correlation > best.correlation) best = later;
      if (best.correlation > BLOCK_MATCH) at = best.lag - start;
    }
    result.push(best.correlation);
  }
  return result;
}

// A block's correlation above which its content is taken as carried.
export const BLOCK_MATCH = 0.5;

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../engine/errors.js';
import { Resampler, type ResamplerRate } from '../../../engine/native/resampler.js';
import { concatSamples, fitSine, measureResampler, resampleInFrames } from '../../support/resampler-quality.js';

const rates: ResamplerRate[] = [8000, 16000, 24000, 48000];
const pairs = rates.flatMap((input) => rates.filter((output) => output !== input).map((output) => ({ input, output })));

// A chirp over the whole input band plus deterministic noise: every phase of every filter is used.
function testSignal(rateHz: number, seconds: number): Int16Array {
  let state = 12345;
  return Int16Array.from({ length: rateHz * seconds }, (_, n) => {
    state = (state * 1103515245 + 12345) >>> 0;
    const t = n / rateHz;
    const chirp = 12000 * Math.sin(2 * Math.PI * (50 * t + ((rateHz / 2 - 50) * t * t) / (2 * seconds)));
    return Math.round(chirp + ((state >>> 16) - 32768) / 8);
  });
}

describe('resampler', () => {
  it.each(pairs)('$input -> $output Hz: flat passband, 60+ dB stopband, clean sines and sweep, delay as declared', ({ input, output }) => {
    const quality = measureResampler(input, output);
    expect(quality.passbandRippleDb).toBeLessThan(0.05);
    expect(quality.stopbandAttenuationDb).toBeGreaterThanOrEqual(60);
    expect(quality.sineSnrDb).toBeGreaterThanOrEqual(60);
    expect(quality.sweepSnrDb).toBeGreaterThanOrEqual(60);
    expect(Math.abs(quality.groupDelayMs - quality.declaredDelayMs)).toBeLessThan(0.01);
    expect(quality.groupDelayMs).toBeLessThanOrEqual(4);
  });

  it('48 -> 16 kHz: at least 60 dB stopband from 8 kHz and at most 2 ms of delay', () => {
    const quality = measureResampler(48000, 16000);
    expect(quality.stopbandAttenuationDb).toBeGreaterThanOrEqual(60);
    expect(quality.groupDelayMs).toBeGreaterThan(0);
    expect(quality.groupDelayMs).toBeLessThanOrEqual(2);
  });

  it.each(pairs)('$input -> $output Hz: 20 ms frames and odd-sized pieces give exactly the one-shot output', ({ input, output }) => {
    const signal = testSignal(input, 0.5);
    const oneShot = new Resampler(input, output).process(signal);
    expect(oneShot.length).toBe((signal.length * output) / input);

    const framed = new Resampler(input, output);
    const frames: Int16Array[] = [];
    for (let start = 0; start < signal.length; start += input / 50) {
      const frame = framed.process(signal.subarray(start, start + input / 50));
      expect(frame.length).toBe(output / 50);
      frames.push(frame);
    }
    expect(concatSamples(frames)).toEqual(oneShot);

    const pieces = new Resampler(input, output);
    const parts: Int16Array[] = [];
    for (let start = 0, size = 1; start < signal.length; start += size, size = (size * 7 + 3) % 331 || 1) {
      parts.push(pieces.process(signal.subarray(start, start + size)));
    }
    expect(concatSamples(parts)).toEqual(oneShot);
  });

  it('every pair in turn on one thread, frame by frame (as a worker runs its calls), gives each its own one-shot output', () => {
    // Resamplers of a thread share their working memory: one's frame must not leave anything in
    // another's.
    const calls = pairs.map(({ input, output }) => ({ input, signal: testSignal(input, 0.2), resampler: new Resampler(input, output), frames: [] as Int16Array[], oneShot: new Resampler(input, output) }));
    for (let frame = 0; frame < 10; frame++) {
      for (const call of calls) call.frames.push(call.resampler.process(call.signal.subarray((frame * call.input) / 50, ((frame + 1) * call.input) / 50)));
    }
    for (const call of calls) expect(concatSamples(call.frames)).toEqual(call.oneShot.process(call.signal));
  });

  it.each(pairs)('$input -> $output Hz: a 1 kHz tone streamed in 20 ms frames has no click at any frame edge', ({ input, output }) => {
    const tone = Int16Array.from({ length: input / 2 }, (_, n) => Math.round(16384 * Math.cos((2 * Math.PI * 1000 * n) / input)));
    const streamed = resampleInFrames(new Resampler(input, output), tone);
    const fit = fitSine(streamed, 1000, output, output / 25);
    // The largest deviation from a pure tone anywhere, frame edges included: 60 dB under the tone.
    expect(fit.maxResidual).toBeLessThan(16384 / 1000);
    expect(fit.amplitude).toBeCloseTo(16384, -1);
  });

  it('writes into a caller array, and reset() returns to the fresh state', () => {
    const resampler = new Resampler(16000, 48000);
    const frame = testSignal(16000, 0.02);
    const fresh = resampler.process(frame);
    const out = new Int16Array(961);
    resampler.reset();
    expect(resampler.processInto(frame, out)).toBe(960);
    expect(out.subarray(0, 960)).toEqual(fresh);
    expect(() => resampler.processInto(frame, new Int16Array(100))).toThrow(InvalidArgumentError);
  });

  // The whole-number ratios sum each output lane per output instead of lane per tap: the same
  // filter, other float rounding. The fixtures are the lane-per-tap path's output of this signal.
  it.each([
    { input: 8000, output: 16000 },
    { input: 16000, output: 8000 },
  ] as const)('$input -> $output Hz: within 1 LSB of the lane-per-tap output, and equal to it almost everywhere', ({ input, output }) => {
    const fixture = readFileSync(new URL(`../../fixtures/resampler/${input / 1000}k-${output / 1000}k.pcm`, import.meta.url));
    const reference = new Int16Array(fixture.buffer, fixture.byteOffset, fixture.byteLength / 2);
    const streamed = resampleInFrames(new Resampler(input, output), testSignal(input, 0.5));
    expect(streamed.length).toBe(reference.length);
    const deviations = Array.from(reference, (sample, i) => Math.abs(streamed[i]! - sample));
    expect(Math.max(...deviations)).toBeLessThanOrEqual(1);
    expect(deviations.filter((deviation) => deviation !== 0).length).toBeLessThan(reference.length / 100);
  });

  it('refuses rates it has no filter for', () => {
    expect(() => new Resampler(44100 as ResamplerRate, 16000)).toThrow(InvalidArgumentError);
    expect(() => new Resampler(16000, 22050 as ResamplerRate)).toThrow(InvalidArgumentError);
  });
});

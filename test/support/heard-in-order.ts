// Finds each talkspurt of a sender's stream in the audio the bot heard (8 kHz), and asserts it is
// all there: whole (correlation with the source), at its level, in order, each after the previous
// by its pause, with the total duration kept.
import { expect } from 'vitest';
import { bestAlignment, correlationAt, rmsDbfs } from './signal-metrics.js';
import type { Talkspurt } from './talkspurt-stream.js';

const RATE_HZ = 8000;

export interface HeardTolerance {
  samplesPerPacket?: number; // default 160
  gapMs?: [early: number, late: number]; // how far a pause may shrink or grow; default [15, 30]
}

// Averages of `factor` samples: a coarse copy to search lags in quickly.
function pooled(signal: Int16Array, factor: number): Int16Array {
  const out = new Int16Array(Math.floor(signal.length / factor));
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    for (let k = 0; k < factor; k++) sum += signal[i * factor + k]!;
    out[i] = Math.round(sum / factor);
  }
  return out;
}

// Where `pcm` best matches `heard` between lags `from` and `to`: searched at 2 kHz, refined at 8.
export function locate(pcm: Int16Array, heard: Int16Array, from: number, to: number): { lag: number; correlation: number } {
  const coarse = bestAlignment(pooled(pcm, 4), pooled(heard, 4), Math.floor(from / 4), Math.ceil(to / 4));
  return bestAlignment(pcm, heard, coarse.lag * 4 - 8, coarse.lag * 4 + 8);
}

// Every talkspurt found in the bot's audio, in order, whole (correlation), at its level, after the
// previous one by its pause (give or take what the buffer may stretch or skip in a pause). The
// sender's pause runs from the end of its last packet's time slot, so a short last packet adds the
// rest of its slot.
export function expectHeardInOrder(talkspurts: Talkspurt[], heard: Int16Array, tolerance: HeardTolerance = {}): void {
  const { samplesPerPacket = 160, gapMs: [early, late] = [15, 30] } = tolerance;
  let previousEnd = 0;
  let firstStart = -1;
  let pauseMs = 0;
  talkspurts.forEach((talkspurt, i) => {
    const { pcm } = talkspurt;
    const from = i === 0 ? 0 : previousEnd + ((pauseMs - 100) * RATE_HZ) / 1000;
    const to = i === 0 ? RATE_HZ / 2 : previousEnd + ((pauseMs + 200) * RATE_HZ) / 1000;
    const { lag, correlation } = locate(pcm, heard, from, to);
    expect({ talkspurt: i, correlation: correlation > 0.95 }).toEqual({ talkspurt: i, correlation: true });
    expect(Math.abs(rmsDbfs(heard, lag, lag + pcm.length) - rmsDbfs(pcm))).toBeLessThan(1.5);
    // Its end too, where a buffer that drops what it holds would cut it: the last 200 ms, if loud.
    const tail = pcm.subarray(Math.max(0, pcm.length - RATE_HZ / 5));
    if (rmsDbfs(tail) > -40) expect(correlationAt(tail, heard, lag + pcm.length - tail.length)).toBeGreaterThan(0.9);
    if (i > 0) {
      const gapMs = ((lag - previousEnd) * 1000) / RATE_HZ;
      expect(gapMs).toBeGreaterThanOrEqual(pauseMs - early);
      expect(gapMs).toBeLessThanOrEqual(pauseMs + late);
    } else {
      firstStart = lag;
    }
    previousEnd = lag + pcm.length;
    const lastPacket = pcm.length % samplesPerPacket || samplesPerPacket;
    pauseMs = talkspurt.pauseAfterMs + ((samplesPerPacket - lastPacket) * 1000) / RATE_HZ;
  });
  const slotsMs = (t: Talkspurt): number => (Math.ceil(t.pcm.length / samplesPerPacket) * samplesPerPacket * 1000) / RATE_HZ;
  const sourceMs = talkspurts.slice(0, -1).reduce((sum, t) => sum + slotsMs(t) + t.pauseAfterMs, 0) + (talkspurts.at(-1)!.pcm.length * 1000) / RATE_HZ;
  expect(Math.abs(((previousEnd - firstStart) * 1000) / RATE_HZ - sourceMs)).toBeLessThan(2 * (early + late));
}

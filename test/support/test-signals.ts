// Deterministic synthetic test signals (seeded, so a failure reproduces).
import { seededRandom } from './seeded-random.js';

export function whiteNoise(samples: number, amplitude: number, seed: number): Int16Array {
  const random = seededRandom(seed);
  return Int16Array.from({ length: samples }, () => Math.round((random() * 2 - 1) * amplitude));
}

// Exponential sine sweep from startHz to endHz.
export function sineSweep(samples: number, rateHz: number, startHz: number, endHz: number, amplitude: number): Int16Array {
  const durationS = samples / rateHz;
  const k = Math.log(endHz / startHz);
  return Int16Array.from({ length: samples }, (_, i) => {
    const t = i / rateHz;
    const phase = ((2 * Math.PI * startHz * durationS) / k) * (Math.exp((t / durationS) * k) - 1);
    return Math.round(amplitude * Math.sin(phase));
  });
}

export function sine(samples: number, rateHz: number, frequencyHz: number, amplitude: number): Int16Array {
  return Int16Array.from({ length: samples }, (_, i) => Math.round(amplitude * Math.sin((2 * Math.PI * frequencyHz * i) / rateHz)));
}

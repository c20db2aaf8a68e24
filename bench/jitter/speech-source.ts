// A deterministic speech-like source at 8 kHz for scoring the jitter buffer's audio: syllables of
// 120-300 ms, mostly voiced (harmonics of a gliding 90-230 Hz pitch under two moving formants),
// some unvoiced (low-passed noise), separated by short gaps of line noise. Voiced, so pitch-based
// time stretching has periods to work with, as on real speech; varied, so a block of it aligns
// with one place in the source only. Synthesised rather than recorded: the bench must not ship
// minutes of audio, and it must be exactly repeatable.
import { seededRandom } from '../../test/support/seeded-random.js';

export const SOURCE_RATE_HZ = 8000;
const MAX_HARMONIC_HZ = 3000;
const LINE_NOISE_RMS = 30;

function formantGain(hz: number, f1: number, f2: number): number {
  return 1 / (1 + ((hz - f1) / 120) ** 2) + 0.6 / (1 + ((hz - f2) / 180) ** 2) + 0.04;
}

export function speechSource(samples: number, seed: number): Int16Array {
  const random = seededRandom(seed);
  const out = new Int16Array(samples);
  const phases = new Float64Array(40);
  let lowpass = 0;
  let lowpass2 = 0;
  for (let at = 0; at < samples; ) {
    const length = Math.round((0.12 + random() * 0.18) * SOURCE_RATE_HZ);
    const voiced = random() < 0.8;
    const peak = voiced ? 2500 + random() * 5500 : 900 + random() * 900;
    const f0Start = 90 + random() * 140;
    const f0End = f0Start * (0.8 + random() * 0.4);
    const f1 = 300 + random() * 500;
    const f2 = 900 + random() * 1300;
    const attack = 0.02 * SOURCE_RATE_HZ;
    const release = 0.03 * SOURCE_RATE_HZ;
    let gain = 0;
    for (let i = 0; i < length && at + i < samples; i++) {
      const envelope = Math.min(1, i / attack, (length - i) / release);
      const progress = i / length;
      let value = 0;
      if (voiced) {
        const f0 = f0Start + (f0End - f0Start) * progress;
        const harmonics = Math.min(phases.length, Math.floor(MAX_HARMONIC_HZ / f0));
        gain = 0;
        for (let k = 1; k <= harmonics; k++) {
          phases[k - 1] = (phases[k - 1]! + (2 * Math.PI * k * f0) / SOURCE_RATE_HZ) % (2 * Math.PI);
          const a = formantGain(k * f0, f1, f2);
          value += a * Math.sin(phases[k - 1]!);
          gain += a * a;
        }
        value /= Math.sqrt(gain / 2);
      } else {
        lowpass += 0.35 * ((random() * 2 - 1) * 2.2 - lowpass);
        lowpass2 += 0.35 * (lowpass - lowpass2);
        value = lowpass2 * 2;
      }
      const noise = (random() * 2 - 1) * LINE_NOISE_RMS * Math.sqrt(3);
      out[at + i] = Math.max(-32768, Math.min(32767, Math.round(peak * envelope * value + noise)));
    }
    at += length;
    const gap = Math.round(random() * 0.06 * SOURCE_RATE_HZ);
    for (let i = 0; i < gap && at + i < samples; i++) out[at + i] = Math.round((random() * 2 - 1) * LINE_NOISE_RMS * Math.sqrt(3));
    at += gap;
  }
  return out;
}

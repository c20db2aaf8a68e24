// Measures a resampler the way its figures are stated in the README and bench/results: tones and
// a sweep at -6 dBFS through the native resampler in 20 ms frames (the streaming path calls use),
// each output fitted by least squares to a sinusoid at the expected frequency.
//   passband  = up to 86 % of the lower rate's Nyquist frequency (3.44 kHz at 8 kHz, 6.88 kHz at 16 kHz)
//   stopband  = what must not come through, below the input tone's level: for down-sampling,
//               the aliases of input tones above the lower rate's Nyquist frequency; for
//               up-sampling, the images of input tones (output minus the fitted tone)
//   ripple    = peak-to-peak passband gain, dB
//   sine SNR  = worst passband tone over everything else in the output
//   sweep SNR = linear 100 Hz..passband-edge chirp against the ideal delayed chirp
//   delay     = group delay from the phase slope between two tones 50 Hz apart
import { Resampler, type ResamplerRate } from '../../engine/native/resampler.js';

export interface ResamplerQuality {
  inputRateHz: ResamplerRate;
  outputRateHz: ResamplerRate;
  passbandEdgeHz: number;
  passbandRippleDb: number;
  stopbandAttenuationDb: number;
  sineSnrDb: number;
  sweepSnrDb: number;
  groupDelayMs: number;
  declaredDelayMs: number;
}

const amplitude = 16384; // -6 dBFS
const toneSeconds = 0.15;
const settleSeconds = 0.03; // longer than any of the filters
const passbandFraction = 0.86;
const tonesPerBand = 60;

export function concatSamples(parts: Int16Array[]): Int16Array {
  const output = new Int16Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    output.set(part, at);
    at += part.length;
  }
  return output;
}

export function resampleInFrames(resampler: Resampler, input: Int16Array): Int16Array {
  const frame = resampler.inputRateHz / 50;
  const parts: Int16Array[] = [];
  for (let start = 0; start < input.length; start += frame) parts.push(resampler.process(input.subarray(start, start + frame)));
  return concatSamples(parts);
}

function tone(frequencyHz: number, rateHz: number, seconds: number): Int16Array {
  const w = (2 * Math.PI * frequencyHz) / rateHz;
  return Int16Array.from({ length: Math.round(rateHz * seconds) }, (_, n) => Math.round(amplitude * Math.cos(w * n)));
}

interface SineFit {
  amplitude: number;
  phase: number; // y ~ amplitude * cos(w n - phase)
  residualPower: number;
  maxResidual: number;
}

// Least-squares fit of a cos(w n) + b sin(w n) over output samples [start, end).
export function fitSine(signal: Int16Array, frequencyHz: number, rateHz: number, start: number, end = signal.length): SineFit {
  const w = (2 * Math.PI * frequencyHz) / rateHz;
  let cc = 0;
  let ss = 0;
  let cs = 0;
  let yc = 0;
  let ys = 0;
  for (let n = start; n < end; n++) {
    const c = Math.cos(w * n);
    const s = Math.sin(w * n);
    cc += c * c;
    ss += s * s;
    cs += c * s;
    yc += signal[n]! * c;
    ys += signal[n]! * s;
  }
  const det = cc * ss - cs * cs;
  const a = (yc * ss - ys * cs) / det;
  const b = (ys * cc - yc * cs) / det;
  let residualPower = 0;
  let maxResidual = 0;
  for (let n = start; n < end; n++) {
    const error = signal[n]! - (a * Math.cos(w * n) + b * Math.sin(w * n));
    residualPower += error * error;
    maxResidual = Math.max(maxResidual, Math.abs(error));
  }
  return { amplitude: Math.hypot(a, b), phase: Math.atan2(b, a), residualPower: residualPower / (end - start), maxResidual };
}

function toneThrough(inputRateHz: ResamplerRate, outputRateHz: ResamplerRate, frequencyHz: number): { output: Int16Array; start: number } {
  const output = resampleInFrames(new Resampler(inputRateHz, outputRateHz), tone(frequencyHz, inputRateHz, toneSeconds));
  return { output, start: Math.round(settleSeconds * outputRateHz) };
}

function grid(from: number, to: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + ((to - from) * i) / (count - 1));
}

const db = (ratio: number): number => 10 * Math.log10(ratio);

function groupDelayMs(inputRateHz: ResamplerRate, outputRateHz: ResamplerRate): number {
  const [f1, f2] = [1000, 1050];
  const phases = [f1, f2].map((f) => {
    const { output, start } = toneThrough(inputRateHz, outputRateHz, f);
    return fitSine(output, f, outputRateHz, start).phase;
  });
  let delta = phases[1]! - phases[0]!;
  while (delta <= -Math.PI) delta += 2 * Math.PI;
  while (delta > Math.PI) delta -= 2 * Math.PI;
  return (delta / (2 * Math.PI * (f2 - f1))) * 1000;
}

function sweepSnrDb(inputRateHz: ResamplerRate, outputRateHz: ResamplerRate, edgeHz: number, delayMs: number): number {
  const seconds = 1;
  const [f0, f1] = [100, edgeHz];
  const phase = (t: number): number => 2 * Math.PI * (f0 * t + ((f1 - f0) * t * t) / (2 * seconds));
  const input = Int16Array.from({ length: inputRateHz * seconds }, (_, n) => Math.round(amplitude * Math.cos(phase(n / inputRateHz))));
  const output = resampleInFrames(new Resampler(inputRateHz, outputRateHz), input);
  let signal = 0;
  let noise = 0;
  for (let n = Math.round(settleSeconds * outputRateHz); n < output.length; n++) {
    const ideal = amplitude * Math.cos(phase(n / outputRateHz - delayMs / 1000));
    signal += ideal * ideal;
    noise += (output[n]! - ideal) ** 2;
  }
  return db(signal / noise);
}

export function measureResampler(inputRateHz: ResamplerRate, outputRateHz: ResamplerRate): ResamplerQuality {
  const lowNyquistHz = Math.min(inputRateHz, outputRateHz) / 2;
  const passbandEdgeHz = passbandFraction * lowNyquistHz;
  const passband = grid(100, passbandEdgeHz, tonesPerBand).map((f) => {
    const { output, start } = toneThrough(inputRateHz, outputRateHz, f);
    return fitSine(output, f, outputRateHz, start);
  });
  const gainsDb = passband.map((fit) => 20 * Math.log10(fit.amplitude / amplitude));
  const sineSnrDb = Math.min(...passband.map((fit) => db((fit.amplitude * fit.amplitude) / 2 / fit.residualPower)));

  // Down-sampling: input tones above the lower Nyquist frequency, everything in the output is
  // aliasing. Up-sampling: input tones anywhere in the input band, everything in the output
  // besides the tone is an image. Both are referred to the input tone's level. The exact Nyquist
  // frequencies are skipped (a sampled cosine's power there depends on its phase), and the tenth
  // of the band next to the stop edge, where the largest sidelobe sits, is sampled finely.
  const inputNyquistHz = inputRateHz / 2;
  const down = outputRateHz < inputRateHz;
  const [from, to] = down ? [lowNyquistHz, inputNyquistHz] : [0, inputNyquistHz];
  const tenth = (to - from) / 10;
  const edgeTones = down ? grid(from + 10, from + tenth, tonesPerBand / 2) : grid(to - tenth, to - 10, tonesPerBand / 2);
  const stopbandAttenuationDb = Math.min(
    ...[...edgeTones, ...grid(from + 25, to - 25, tonesPerBand)].map((f) => {
      const { output, start } = toneThrough(inputRateHz, outputRateHz, f);
      let unwanted: number;
      if (down) {
        unwanted = 0;
        for (let n = start; n < output.length; n++) unwanted += output[n]! * output[n]!;
        unwanted /= output.length - start;
      } else {
        unwanted = fitSine(output, f, outputRateHz, start).residualPower;
      }
      return db((amplitude * amplitude) / 2 / unwanted);
    }),
  );

  const groupDelay = groupDelayMs(inputRateHz, outputRateHz);
  return {
    inputRateHz,
    outputRateHz,
    passbandEdgeHz,
    passbandRippleDb: Math.max(...gainsDb) - Math.min(...gainsDb),
    stopbandAttenuationDb,
    sineSnrDb,
    sweepSnrDb: sweepSnrDb(inputRateHz, outputRateHz, passbandEdgeHz, groupDelay),
    groupDelayMs: groupDelay,
    declaredDelayMs: new Resampler(inputRateHz, outputRateHz).delayMs,
  };
}

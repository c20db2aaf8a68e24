// Synthetic echo paths for echo-canceller tests and the echo bench: what a phone or a line
// hybrid sends back of the audio Parley sent it. The sent audio goes (optionally) through G.711,
// a mild loudspeaker nonlinearity, a bulk delay that may drift or jump, and a room or hybrid
// impulse response scaled to the wanted echo return loss; the echo is G.711-coded again on its
// way back when the path says so. Seeded, so every trace reproduces bit for bit.
import { decodeUlaw, encodeUlaw } from '../../engine/native/g711.js';
import { seededRandom } from './seeded-random.js';

// Gaussian noise (Box-Muller) at the given RMS, in int16 units.
export function gaussianNoise(samples: number, rms: number, seed: number): Float64Array {
  const random = seededRandom(seed);
  const out = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    out[i] = rms * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  }
  return out;
}

// A small room: a direct path, then exponentially decaying diffuse taps (RT60 = rt60Ms).
export function roomResponse(rateHz: number, rt60Ms: number, seed: number): Float64Array {
  const length = Math.round((rateHz * Math.min(rt60Ms, 100)) / 1000);
  const taps = gaussianNoise(length, 1, seed);
  // RT60: energy falls 60 dB, amplitude by 1000, over rt60Ms.
  const decayPerSample = Math.log(1000) / ((rateHz * rt60Ms) / 1000);
  for (let i = 0; i < length; i++) taps[i] = 0.3 * taps[i]! * Math.exp(-i * decayPerSample);
  taps[0] = 1;
  return taps;
}

// A 2-to-4-wire hybrid's echo: short (a few ms), band-pass, ringing.
export function hybridResponse(rateHz: number): Float64Array {
  const length = Math.round(rateHz * 0.006);
  const taps = new Float64Array(length);
  const ringHz = 600;
  for (let i = 0; i < length; i++) {
    const t = i / rateHz;
    taps[i] = Math.exp(-t / 0.0012) * Math.cos(2 * Math.PI * ringHz * t);
  }
  // No DC: the hybrid's transformer blocks it.
  const mean = taps.reduce((sum, x) => sum + x, 0) / length;
  for (let i = 0; i < length; i++) taps[i]! -= mean;
  return taps;
}

export interface EchoPathOptions {
  rateHz: number;
  // Echo level relative to the sent audio, dB (negative: the echo return loss).
  gainDb: number;
  delayMs: number;
  response: Float64Array;
  // The bulk delay grows by this much per minute (clock drift between the two ends).
  driftMsPerMinute?: number;
  // The bulk delay jumps to this value at this time (a re-routed call).
  delayChange?: { atMs: number; delayMs: number };
  // The bulk delay grows by stepMs every everyMs: drift as jitter buffers absorb it, a frame
  // inserted now and then rather than a continuously sliding clock.
  delaySteps?: { everyMs: number; stepMs: number };
  // μ-law on the way out and back, as on a G.711 leg.
  g711?: boolean;
  // Loudspeaker soft clipping, 0 (none) .. 1 (strong): y = tanh(a x) / a on the full-scale signal.
  nonlinearity?: number;
}

function ulawRoundTrip(signal: Float64Array): Float64Array {
  const pcm = Int16Array.from(signal, (x) => Math.max(-32768, Math.min(32767, Math.round(x))));
  return Float64Array.from(decodeUlaw(encodeUlaw(pcm)));
}

// The echo of `sent` (int16 units), same length.
export function echoOf(sent: ArrayLike<number>, options: EchoPathOptions): Float64Array {
  let played: Float64Array = Float64Array.from(sent);
  if (options.g711) played = ulawRoundTrip(played);
  const drive = options.nonlinearity ?? 0;
  if (drive > 0) {
    const a = 3 * drive;
    for (let i = 0; i < played.length; i++) played[i] = (Math.tanh((a * played[i]!) / 32768) / a) * 32768;
  }
  const { response, rateHz } = options;
  let energy = 0;
  for (const tap of response) energy += tap * tap;
  const scale = Math.pow(10, options.gainDb / 20) / Math.sqrt(energy);
  const out = new Float64Array(played.length);
  const samplesPerMs = rateHz / 1000;
  for (let t = 0; t < out.length; t++) {
    const ms = t / samplesPerMs;
    let delayMs = options.delayMs + ((options.driftMsPerMinute ?? 0) * ms) / 60_000;
    if (options.delayChange && ms >= options.delayChange.atMs) delayMs = options.delayChange.delayMs;
    if (options.delaySteps) delayMs += Math.floor(ms / options.delaySteps.everyMs) * options.delaySteps.stepMs;
    // Fractional delay by linear interpolation: enough for a slow drift at telephone rates.
    const at = t - delayMs * samplesPerMs;
    const whole = Math.floor(at);
    const frac = at - whole;
    let sum = 0;
    for (let k = 0; k < response.length; k++) {
      const i = whole - k;
      if (i < 0) break;
      const x = i + 1 < played.length ? played[i]! * (1 - frac) + played[i + 1]! * frac : played[i]!;
      sum += response[k]! * x;
    }
    out[t] = sum * scale;
  }
  return out;
}

// The caller's line as the node receives it: echo plus the caller's own audio, clipped to int16
// and, on a G.711 leg, coded on the way back.
export function capturedLine(echo: Float64Array, caller: ArrayLike<number> | null, g711 = false): Int16Array {
  const mixed = new Float64Array(echo.length);
  for (let i = 0; i < echo.length; i++) mixed[i] = echo[i]! + (caller && i < caller.length ? caller[i]! : 0);
  const line = g711 ? ulawRoundTrip(mixed) : mixed;
  return Int16Array.from(line, (x) => Math.max(-32768, Math.min(32767, Math.round(x))));
}

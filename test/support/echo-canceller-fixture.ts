// Fixed, seeded inputs for the echo canceller that reach every path of its per-frame work: the
// bot's bursts and a pause long enough to bypass the filter, a G.711 leg, an echo path that
// steps and drifts, and the caller talking over the echo; and (pathStepFixtures) the path
// stepping by part of a block, which moves the learnt response in the time domain. The
// output's checksum pins the canceller's arithmetic (test/unit/native/echo-canceller-output.test.ts)
// while its code is restructured for speed, and bench/echo/canceller-cpu.ts runs the first set
// under callgrind to count its instructions.
import { EchoCanceller } from '../../engine/native/echo-canceller.js';
import { capturedLine, echoOf, gaussianNoise, hybridResponse, roomResponse, type EchoPathOptions } from './echo-path.js';

export interface CancellerFixture {
  name: string;
  rateHz: 8000 | 16000;
  sent: Int16Array;
  capture: Int16Array;
}

// Noise with a syllable-like envelope (the delay estimator follows envelopes), switched on for
// `onMs` and off for `offMs` in turn from `fromMs` on.
function bursts(samples: number, rateHz: number, rms: number, seed: number, onMs: number, offMs: number, fromMs = 0): Float64Array {
  const noise = gaussianNoise(samples, rms, seed);
  const perMs = rateHz / 1000;
  for (let i = 0; i < samples; i++) {
    const ms = i / perMs;
    const on = ms >= fromMs && (ms - fromMs) % (onMs + offMs) < onMs;
    noise[i] = on ? noise[i]! * (0.2 + 1.6 * Math.abs(Math.sin((2 * Math.PI * 3 * ms) / 1000))) : 0;
  }
  return noise;
}

function fixture(name: string, rateHz: 8000 | 16000, ms: number, seed: number, path: Omit<EchoPathOptions, 'rateHz'>): CancellerFixture {
  const samples = (rateHz / 1000) * ms;
  // The bot's turns with a pause of 700 ms (longer than the filter's reach: the frames bypass it).
  const sentSignal = bursts(samples, rateHz, 3000, seed, 3000, 700);
  const sent = Int16Array.from(sentSignal, (x) => Math.max(-32768, Math.min(32767, Math.round(x))));
  const echo = echoOf(sent, { rateHz, ...path });
  // The caller's bursts over the echo, from 5 s on.
  const caller = bursts(samples, rateHz, 1500, seed + 1, 400, 600, 5000);
  const capture = capturedLine(echo, caller, path.g711 ?? false);
  return { name, rateHz, sent, capture };
}

export function cancellerFixtures(): CancellerFixture[] {
  return [
    fixture('8 kHz G.711 room', 8000, 8000, 11, {
      gainDb: -10,
      delayMs: 100,
      response: roomResponse(8000, 40, 2),
      g711: true,
    }),
    fixture('16 kHz hybrid, stepping and drifting', 16000, 8000, 21, {
      gainDb: -6,
      delayMs: 60,
      response: hybridResponse(16000),
      delaySteps: { everyMs: 2500, stepMs: 20 },
      driftMsPerMinute: 6,
    }),
  ];
}

// A converged filter whose echo path then steps by part of a block, every 2.5 s (a jitter buffer
// cutting its playout, or inserting a frame and stretching): the step detector finds the step
// and the response moves by what the window's whole blocks leave of it, in the time domain
// (EchoCanceller::ShiftResponse). cancellerFixtures() never get there: their 20 ms steps are
// whole blocks, which the window's move takes alone (as would +20 ms here). The shifts these
// make, in samples: at 8 kHz -48, -48 (-16 ms) and -32, -32, +48 (+26 ms); at 16 kHz +64, +64
// and +96, -64. Kept apart from cancellerFixtures(), whose instruction counts the docs quote.
export function pathStepFixtures(): CancellerFixture[] {
  return ([8000, 16000] as const).flatMap((rateHz) =>
    [-16, 26].map((stepMs) =>
      fixture(`${rateHz / 1000} kHz room, path stepping ${stepMs > 0 ? '+' : ''}${stepMs} ms`, rateHz, 8000, 31, {
        gainDb: -10,
        delayMs: 120,
        response: roomResponse(rateHz, 60, 8),
        delaySteps: { everyMs: 2500, stepMs },
      }),
    ),
  );
}

// The canceller's output over the whole fixture, one 20 ms frame at a time.
export function runCanceller(input: CancellerFixture): Int16Array {
  return runCancellers([input])[0]!;
}

// Each fixture through a canceller of its own, the cancellers taking turns frame by frame on
// this thread (so their FFTs share its working arrays, native/dsp/fft.cc), each output over
// the frames every fixture has.
export function runCancellers(inputs: CancellerFixture[]): Int16Array[] {
  const cancellers = inputs.map((input) => new EchoCanceller({ sampleRateHz: input.rateHz }));
  const frames = Math.min(...inputs.map((input, i) => Math.floor(input.capture.length / cancellers[i]!.frameSamples)));
  const outputs = cancellers.map((canceller) => new Int16Array(frames * canceller.frameSamples));
  for (let f = 0; f < frames; f++) {
    for (const [i, canceller] of cancellers.entries()) {
      const frame = canceller.frameSamples;
      const input = inputs[i]!;
      canceller.process(input.capture.subarray(f * frame, (f + 1) * frame), input.sent.subarray(f * frame, (f + 1) * frame), outputs[i]!.subarray(f * frame, (f + 1) * frame));
    }
  }
  return outputs;
}

// FNV-1a over the samples' bytes, as hex: any changed sample changes it.
export function checksum(samples: Int16Array): string {
  let hash = 0x811c9dc5;
  const bytes = new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

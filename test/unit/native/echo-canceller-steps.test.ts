// A converged canceller whose echo path steps by less than a block, or by a number of samples
// that is not a whole number of 10 ms blocks (a jitter buffer stretching or cutting its playout,
// issue 17's moving-echo trace): its response must move with the path, not be relearnt. The
// step detector finds the step to the sample and the kept response is moved by it. Measured
// here, linear ERLE over 0-300 / 300-800 / 800-1300 / 1300-2300 ms after the step (31.5 dB
// before), without that (steps of whole blocks only) and with it:
//   +2 ms  3.6 -0.3 3.9 8.8   -> 16.3 26.4 28.3 34.0      -2 ms  2.7 0.4 4.1 8.9 -> 15.9 26.7 29.0 35.4
//   +6 ms  3.4 1.2 3.1 5.8    -> 22.2 26.7 27.9 32.7      -6 ms  2.3 0.5 5.4 7.6 -> 10.7 27.3 29.9 35.8
//   +16 ms 1.4 1.8 4.1 9.4    -> 22.3 26.9 27.6 32.8      -16 ms 1.6 0.6 6.4 2.8 -> 9.1 27.7 31.5 35.7
import { describe, expect, it } from 'vitest';
import { EchoCanceller } from '../../../engine/native/echo-canceller.js';
import { echoOf, roomResponse } from '../../support/echo-path.js';
import { renderSpeech } from '../../support/speech.js';

const RATE = 8000;
const FRAME = RATE / 50;
const perMs = RATE / 1000;
const STEP_AT_MS = 6000;

const bot = renderSpeech(
  'Thank you for calling. Your order shipped on Monday and should arrive within three working days. If it does not, you can call us again, or write to us, and we will send a new one at no cost to you. Is there anything else I can help you with today?',
  { rateHz: RATE },
);

// The linear filter's output (no residual suppression), as the echo it leaves is what is measured.
function cancelLinear(echo: Float64Array): Int16Array {
  const capture = Int16Array.from(echo, (x) => Math.max(-32768, Math.min(32767, Math.round(x))));
  const canceller = new EchoCanceller({ sampleRateHz: RATE, suppressionFloorDb: 0 });
  const frames = Math.floor(capture.length / FRAME);
  const out = new Int16Array(frames * FRAME);
  const sentFrame = new Int16Array(FRAME);
  const outFrame = new Int16Array(FRAME);
  for (let f = 0; f < frames; f++) {
    for (let i = 0; i < FRAME; i++) sentFrame[i] = Math.max(-32768, Math.min(32767, Math.round(bot[f * FRAME + i]!)));
    canceller.process(capture.subarray(f * FRAME, (f + 1) * FRAME), sentFrame, outFrame);
    out.set(outFrame, f * FRAME);
  }
  return out;
}

function energy(signal: ArrayLike<number>, fromMs: number, toMs: number): number {
  let sum = 0;
  for (let i = fromMs * perMs; i < Math.min(signal.length, toMs * perMs); i++) sum += signal[i]! * signal[i]!;
  return sum;
}

const erleDb = (echo: ArrayLike<number>, out: ArrayLike<number>, fromMs: number, toMs: number): number =>
  10 * Math.log10((energy(echo, fromMs, toMs) + 1) / (energy(out, fromMs, toMs) + 1));

describe('EchoCanceller after a step of its echo path by part of a block', () => {
  for (const stepMs of [2, -2, 6, -6, 16, -16]) {
    it(`moves its response with a ${stepMs} ms step: >= 15 dB linear ERLE 300-1300 ms after it`, () => {
      const echo = echoOf(bot, { rateHz: RATE, gainDb: -10, delayMs: 120, response: roomResponse(RATE, 60, 8), delaySteps: { everyMs: STEP_AT_MS, stepMs } });
      const out = cancelLinear(echo);
      expect(energy(echo, STEP_AT_MS + 300, STEP_AT_MS + 1300)).toBeGreaterThan(energy(echo, 0, 10_000) / 40); // the bot is talking
      expect(erleDb(echo, out, STEP_AT_MS - 1500, STEP_AT_MS)).toBeGreaterThanOrEqual(20); // converged before
      expect(erleDb(echo, out, STEP_AT_MS + 300, STEP_AT_MS + 1300)).toBeGreaterThanOrEqual(15);
    });
  }
});

import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../engine/errors.js';
import { EchoCanceller } from '../../../engine/native/echo-canceller.js';
import { Resampler } from '../../../engine/native/resampler.js';
import { Vad } from '../../../engine/native/vad.js';
import { botSpeech } from '../../support/bot-speech.js';
import { capturedLine, echoOf, gaussianNoise, roomResponse } from '../../support/echo-path.js';
import { cleanSpeech } from '../../support/vad-corpus.js';
import { renderSpeech } from '../../support/speech.js';

const RATE = 8000;
const FRAME = RATE / 50;
const perMs = RATE / 1000;
// A bot's answer long enough to converge on and then move the path under (about 15 s).
const BOT_ANSWER =
  'Thank you for calling. Your order shipped on Monday and should arrive within three working days. If it does not, you can call us again, or write to us, and we will send a new one at no cost to you. Is there anything else I can help you with today?';

// Runs the canceller over whole frames; the output is shifted back by its latency so that it
// lines up sample for sample with the capture.
// `onFrame` is called after each frame (to read the canceller's stats as they go).
function cancel(
  capture: Int16Array,
  sent: ArrayLike<number> | null,
  canceller = new EchoCanceller({ sampleRateHz: RATE }),
  onFrame: (canceller: EchoCanceller) => void = () => {},
): Int16Array {
  const frames = Math.floor(capture.length / FRAME);
  const out = new Int16Array(frames * FRAME);
  const sentFrame = new Int16Array(FRAME);
  const outFrame = new Int16Array(FRAME);
  for (let f = 0; f < frames; f++) {
    if (sent) for (let i = 0; i < FRAME; i++) sentFrame[i] = Math.max(-32768, Math.min(32767, Math.round(sent[f * FRAME + i]!)));
    canceller.process(capture.subarray(f * FRAME, (f + 1) * FRAME), sent ? sentFrame : null, outFrame);
    onFrame(canceller);
    out.set(outFrame, f * FRAME);
  }
  return out.subarray(canceller.latencySamples);
}

function energy(signal: ArrayLike<number>, fromMs: number, toMs: number): number {
  let sum = 0;
  for (let i = fromMs * perMs; i < Math.min(signal.length, toMs * perMs); i++) sum += signal[i]! * signal[i]!;
  return sum;
}

// Echo return loss enhancement over [fromMs, toMs): echo in over what is left of it.
const erleDb = (echo: ArrayLike<number>, out: ArrayLike<number>, fromMs: number, toMs: number): number =>
  10 * Math.log10((energy(echo, fromMs, toMs) + 1) / (energy(out, fromMs, toMs) + 1));

// VAD speech onsets a minute from `fromMs` on: on echo alone, what the bot's VAD would take for
// the caller (and barge-in would act on, but for its echo guard).
function vadOnsetsPerMinute(pcm: Int16Array, fromMs: number): number {
  const speech = new Vad({ sampleRateHz: RATE, frameMs: 20 }).process(pcm).speech;
  let onsets = 0;
  for (let f = fromMs / 20; f < speech.length; f++) if (speech[f] && !speech[f - 1]) onsets++;
  return (onsets * 60_000) / ((speech.length - fromMs / 20) * 20);
}

describe('EchoCanceller on a synthetic linear echo path', () => {
  const sent = gaussianNoise(4 * RATE, 3000, 1);
  const echo = echoOf(sent, { rateHz: RATE, gainDb: -10, delayMs: 100, response: roomResponse(RATE, 60, 2) });

  // The goal is 25 dB within 1 s; measured here: 17 dB over 0.75-1 s, 22-25 dB over
  // 1.25-1.5 s (25 before the suppressor's floor was lifted from the line's noise minimum toward
  // its mean, which stopped the line's hiss stepping up when the bot stops: see
  // residual_echo_suppressor.cc), 35 dB after 2 s. The test holds what is met, so a regression shows.
  it('converges from nothing to >= 22 dB ERLE within 1.5 s, and >= 35 dB after', () => {
    const out = cancel(capturedLine(echo, null), sent);
    expect(erleDb(echo, out, 0, 250)).toBeLessThan(15); // it does start from nothing
    expect(erleDb(echo, out, 750, 1000)).toBeGreaterThanOrEqual(15);
    expect(erleDb(echo, out, 1250, 1500)).toBeGreaterThanOrEqual(22);
    expect(erleDb(echo, out, 2000, 4000)).toBeGreaterThanOrEqual(35);
  });

  // A jitter buffer absorbing clock drift inserts a frame now and then: the echo's delay steps
  // by 20 ms. The delay moves within a few blocks and the
  // filter's response moves with it (it was relearnt over seconds before: 4-8 dB in the second
  // after each step on the echo bench, and still under 30 dB two seconds on).
  it('follows a 20 ms delay step by moving its filter, not relearning it', () => {
    const long = gaussianNoise(9 * RATE, 3000, 5);
    const stepping = echoOf(long, { rateHz: RATE, gainDb: -10, delayMs: 100, response: roomResponse(RATE, 60, 6), delaySteps: { everyMs: 5000, stepMs: 20 } });
    const canceller = new EchoCanceller({ sampleRateHz: RATE });
    const out = cancel(capturedLine(stepping, null), long, canceller);
    const before = erleDb(stepping, out, 4000, 5000);
    expect(before).toBeGreaterThanOrEqual(30);
    expect(Math.abs(canceller.stats().delayMs - 120)).toBeLessThanOrEqual(5);
    // Caught from the filter's own echo estimate (it matches the capture 20 ms later), the step
    // moves the delay within a few blocks instead of the envelope covariances' 300-500 ms.
    // Measured over 50-250 ms after the step: 8.8 dB without the step detector, 72.6 dB with it.
    expect(erleDb(stepping, out, 5050, 5250)).toBeGreaterThanOrEqual(30);
    expect(erleDb(stepping, out, 5500, 6000)).toBeGreaterThanOrEqual(12);
    expect(erleDb(stepping, out, 6000, 7000)).toBeGreaterThanOrEqual(before - 3);
  });

  it('finds the bulk delay and follows it when it jumps from 80 to 220 ms', () => {
    const long = gaussianNoise(8 * RATE, 3000, 3);
    const jumping = echoOf(long, { rateHz: RATE, gainDb: -10, delayMs: 80, response: roomResponse(RATE, 60, 4), delayChange: { atMs: 4000, delayMs: 220 } });
    const canceller = new EchoCanceller({ sampleRateHz: RATE });
    const out = cancel(capturedLine(jumping, null), long, canceller);
    expect(erleDb(jumping, out, 3000, 4000)).toBeGreaterThanOrEqual(25);
    expect(erleDb(jumping, out, 6000, 7900)).toBeGreaterThanOrEqual(25);
    expect(Math.abs(canceller.stats().delayMs - 220)).toBeLessThanOrEqual(10);
  });
});

describe('EchoCanceller converging on speech', () => {
  // Issue 17's goal: converged (20 dB) within 1 s of the bot's first word. Before, the suppressor's
  // noise floor was seeded with the unlearnt echo, and the filter blew up for 0.4 s after the first
  // delay estimate (its step normalised by the old window's power): 0 dB over 0.5-1 s here, 20.7
  // now. (The same sentence through a 100 or 120 ms path reaches only 17.5 or 10 dB there: the
  // first delay estimate moves the window past most of what the filter had learnt.)
  it('reaches >= 20 dB ERLE over 0.5-1 s on a speech echo through a -10 dB, 180 ms room', () => {
    const bot = renderSpeech('Good morning. I can book that table for you tonight at eight, for four people.', { rateHz: RATE });
    const echo = echoOf(bot, { rateHz: RATE, gainDb: -10, delayMs: 180, response: roomResponse(RATE, 80, 11) });
    // A -70 dBFS line hiss, as no line is digitally silent; ERLE is of what is left of the echo.
    const hiss = gaussianNoise(bot.length, 10, 12);
    const out = cancel(capturedLine(echo, hiss), bot);
    const residual = Float64Array.from(out, (x, i) => x - hiss[i]!);
    expect(energy(echo, 500, 1000)).toBeGreaterThan(energy(hiss, 500, 1000) * 1000); // the bot is talking
    expect(erleDb(echo, residual, 500, 1000)).toBeGreaterThanOrEqual(20);
  });
});

// A converged canceller whose echo path steps by less than a block, or by a number of samples
// that is not a whole number of 10 ms blocks (a jitter buffer stretching or cutting its playout,
// issue 17's moving-echo trace): its response must move with the path, not be relearnt. The
// step detector finds the step to the sample and the kept response is moved by it. Measured
// here, linear ERLE over 0-300 / 300-800 / 800-1300 / 1300-2300 ms after the step (31.5 dB
// before), without that (steps of whole blocks only) and with it:
//   +2 ms  3.6 -0.3 3.9 8.8   -> 16.3 26.4 28.3 34.0      -2 ms  2.7 0.4 4.1 8.9 -> 15.9 26.7 29.0 35.4
//   +6 ms  3.4 1.2 3.1 5.8    -> 22.2 26.7 27.9 32.7      -6 ms  2.3 0.5 5.4 7.6 -> 10.7 27.3 29.9 35.8
//   +16 ms 1.4 1.8 4.1 9.4    -> 22.3 26.9 27.6 32.8      -16 ms 1.6 0.6 6.4 2.8 -> 9.1 27.7 31.5 35.7
describe('EchoCanceller after a step of its echo path by part of a block', () => {
  const STEP_AT_MS = 6000;
  const bot = renderSpeech(BOT_ANSWER, { rateHz: RATE });
  for (const stepMs of [2, -2, 6, -6, 16, -16]) {
    it(`moves its response with a ${stepMs} ms step: >= 15 dB linear ERLE 300-1300 ms after it`, () => {
      const echo = echoOf(bot, { rateHz: RATE, gainDb: -10, delayMs: 120, response: roomResponse(RATE, 60, 8), delaySteps: { everyMs: STEP_AT_MS, stepMs } });
      // The linear filter's output (no residual suppression): the echo it leaves is what is measured.
      const out = cancel(capturedLine(echo, null), bot, new EchoCanceller({ sampleRateHz: RATE, suppressionFloorDb: 0 }));
      expect(energy(echo, STEP_AT_MS + 300, STEP_AT_MS + 1300)).toBeGreaterThan(energy(echo, 0, 10_000) / 40); // the bot is talking
      expect(erleDb(echo, out, STEP_AT_MS - 1500, STEP_AT_MS)).toBeGreaterThanOrEqual(20); // converged before
      expect(erleDb(echo, out, STEP_AT_MS + 300, STEP_AT_MS + 1300)).toBeGreaterThanOrEqual(15);
    });
  }
});

describe('EchoCanceller on a sliding echo path', () => {
  // Two clocks 100 ppm apart: the echo's delay slides by 6 ms a minute, a sample every 1.25 s,
  // faster than the converged filter relearns its fractional part. The canceller measures how
  // fast the response's strongest tap moves and delays the response at that rate itself.
  // Measured without that (linear filter / with residual suppression): 6.0 / 19.2 dB over 4-8 s,
  // 6.1 / 17.9 over 8-12 s; with it 14.4 / 32.0 and 19.5 / 47.6.
  const bot = renderSpeech(BOT_ANSWER, { rateHz: RATE });
  const echo = echoOf(bot, { rateHz: RATE, gainDb: -10, delayMs: 120, response: roomResponse(RATE, 60, 8), driftMsPerMinute: 6 });

  it('keeps >= 28 dB ERLE on speech while the delay slides 6 ms a minute', () => {
    const out = cancel(capturedLine(echo, null), bot);
    expect(erleDb(echo, out, 4000, 8000)).toBeGreaterThanOrEqual(28);
    expect(erleDb(echo, out, 8000, 12000)).toBeGreaterThanOrEqual(40);
  });

  it('follows the slide with its linear filter, not only with residual suppression', () => {
    const out = cancel(capturedLine(echo, null), bot, new EchoCanceller({ sampleRateHz: RATE, suppressionFloorDb: 0 }));
    expect(erleDb(echo, out, 4000, 8000)).toBeGreaterThanOrEqual(12);
    expect(erleDb(echo, out, 8000, 12000)).toBeGreaterThanOrEqual(16);
  });

  // The echo bench's sliding trace (30 s of the bot's speech, -70 dBFS hiss): 24 onsets a minute
  // after 5 s when the suppressor's echo share read the bot's pauses as the caller (the first
  // blocks of each word passed at the echo's level), 14.4 now; 31.2 with no canceller. What is
  // left is the linear filter falling 10-20 dB behind the slide now and then. The test holds
  // what is met, with one onset of margin (2.4 a minute in these 25 s): the vectorised builds
  // may differ in a last bit.
  it('leaves the VAD at most 16.8 onsets a minute on echo alone after 5 s', () => {
    const sent = new Resampler(16000, RATE).process(botSpeech(30_000));
    const sliding = echoOf(sent, { rateHz: RATE, gainDb: -10, delayMs: 120, response: roomResponse(RATE, 80, 106), driftMsPerMinute: 6 });
    const capture = capturedLine(sliding, gaussianNoise(sent.length, 10, 1106));
    expect(vadOnsetsPerMinute(capture, 5000)).toBeGreaterThan(20);
    expect(vadOnsetsPerMinute(cancel(capture, sent), 5000)).toBeLessThanOrEqual(16.8);
  });
});

// The bot's speech echoed at -6 dB after 150 ms, and the caller at the echo's level from 4 s on,
// over the bot's still-playing echo.
function doubleTalk() {
  const bot = renderSpeech('Thank you for calling. Your order shipped on Monday and should arrive within three working days. Is there anything else I can help you with?', { rateHz: RATE });
  const callerSpeech = renderSpeech('Hello, I would like to change my delivery address please.', { rateHz: RATE, voice: 'en-gb' });
  const echo = echoOf(bot, { rateHz: RATE, gainDb: -6, delayMs: 150, response: roomResponse(RATE, 80, 5) });
  const startMs = 4000;
  const caller = new Float64Array(bot.length);
  const callerGain = Math.sqrt(energy(echo, 0, startMs) / startMs / (energy(callerSpeech, 0, 1e9) / (callerSpeech.length / perMs)));
  for (let i = 0; i < callerSpeech.length && startMs * perMs + i < caller.length; i++) caller[startMs * perMs + i] = callerSpeech[i]! * callerGain;
  const endMs = Math.min(bot.length, startMs * perMs + callerSpeech.length) / perMs;
  return { bot, echo, caller, capture: capturedLine(echo, caller), startMs, endMs };
}

describe('EchoCanceller in double talk', () => {
  it('keeps the caller speaking over the echo: caller SNR after cancellation >= 8 dB (0 dB before)', () => {
    const { bot, echo, caller, capture, startMs, endMs } = doubleTalk();
    const out = cancel(capture, bot);
    const residual = new Float64Array(out.length);
    for (let i = 0; i < out.length; i++) residual[i] = out[i]! - caller[i]!;
    const snrBefore = 10 * Math.log10(energy(caller, startMs, endMs) / energy(echo, startMs, endMs));
    const snrAfter = 10 * Math.log10(energy(caller, startMs, endMs) / energy(residual, startMs, endMs));
    expect(snrBefore).toBeLessThan(3);
    // 9 dB before residual suppression also took the part of the error coherent with the echo
    // estimate (which follows a sliding delay: 10 -> 20 dB ERLE on the echo bench); that costs
    // the caller about 1 dB here (measured 8.6), their VAD recall stays >= 0.93.
    expect(snrAfter).toBeGreaterThanOrEqual(8);
    // The caller's speech is still there at (nearly) its own level.
    const keptDb = 10 * Math.log10(energy(out, startMs, endMs) / energy(caller, startMs, endMs));
    expect(keptDb).toBeGreaterThan(-2);
  });

  it('leaves the caller out of the ERLE it reports: >= 15 dB through their first second (before: under 5 dB within 200 ms)', () => {
    // The linear ERLE is capture over error; the caller is in both, so with them in, a filter
    // that still removed the echo read 1-5 dB and barge-in stopped trusting its output.
    const { bot, capture, startMs } = doubleTalk();
    const canceller = new EchoCanceller({ sampleRateHz: RATE });
    const erleDbPerFrame: number[] = [];
    cancel(capture, bot, canceller, (c) => erleDbPerFrame.push(c.stats().erleDb));
    const frameAt = (ms: number) => ms / 20;
    expect(canceller.stats().converged).toBe(true);
    // Measured: 20 dB over the second before the caller, 17-22 dB over their first second.
    expect(Math.min(...erleDbPerFrame.slice(frameAt(startMs - 1000), frameAt(startMs)))).toBeGreaterThanOrEqual(18);
    expect(Math.min(...erleDbPerFrame.slice(frameAt(startMs), frameAt(startMs + 1000)))).toBeGreaterThanOrEqual(15);
  });
});

describe('EchoCanceller when the caller starts talking over the echo', () => {
  // The caller's error, far over the residual the canceller predicts, fluctuates with the echo
  // estimate by chance: regressed on it, η rose from its floor (-17 dB) within 200 ms of their
  // onset (here: to -14.1, -11.4 and 0 dB for three of the speech corpus's 8 utterances), the
  // residual prediction with it, and barge-in's double-talk test took the caller for echo. The
  // regression holds in double talk (kLeakageHoldOverResidual). Measured: -17 dB for all 8.
  it('holds its leakage estimate through the caller\'s first 200 ms (before: up to 0 dB)', () => {
    const rateHz = 16000;
    const frame = rateHz / 50;
    const startMs = 4000;
    const corpus = cleanSpeech(20);
    for (const [index, { start, end }] of corpus.utterances.entries()) {
      const bot = botSpeech(startMs + (end - start) / (rateHz / 1000) + 100);
      const echo = echoOf(bot, { rateHz, gainDb: -10, delayMs: 300, response: roomResponse(rateHz, 60, 8) });
      const caller = new Float64Array(bot.length);
      caller.set(corpus.samples.subarray(start, Math.min(end, start + bot.length - (startMs * rateHz) / 1000)), (startMs * rateHz) / 1000);
      const capture = capturedLine(echo, caller);
      const canceller = new EchoCanceller({ sampleRateHz: rateHz });
      const leakage: number[] = [];
      const converged: boolean[] = [];
      const out = new Int16Array(frame);
      for (let f = 0; (f + 1) * frame <= capture.length; f++) {
        canceller.process(capture.subarray(f * frame, (f + 1) * frame), bot.subarray(f * frame, (f + 1) * frame), out);
        leakage.push(canceller.stats().leakage);
        converged.push(canceller.stats().converged);
      }
      const onsetFrame = startMs / 20;
      expect(converged[onsetFrame - 1], `utterance ${index}`).toBe(true);
      expect(10 * Math.log10(Math.max(...leakage.slice(onsetFrame, onsetFrame + 10))), `utterance ${index}`).toBeLessThanOrEqual(-16);
    }
  });
});

describe('EchoCanceller on hostile input', () => {
  const frames = 250;
  const samples = frames * FRAME;
  const clip = (x: number): number => Math.max(-32768, Math.min(32767, Math.round(x)));

  it('stays finite and bounded on full-scale noise, DC, silence and clipping', () => {
    const loud = Int16Array.from(gaussianNoise(samples, 30000, 6), clip);
    const otherLoud = Int16Array.from(gaussianNoise(samples, 30000, 7), clip);
    const dc = new Int16Array(samples).fill(20000);
    const silence = new Int16Array(samples);
    const square = Int16Array.from({ length: samples }, (_, i) => (Math.floor(i / 20) % 2 === 0 ? 32767 : -32768));
    const cases: Array<[string, Int16Array, Int16Array | null]> = [
      ['full-scale noise, unrelated reference', loud, otherLoud],
      ['full-scale noise, same reference (clipped echo)', loud, loud],
      ['DC capture and reference', dc, dc],
      ['silence with loud reference', silence, loud],
      ['clipped square wave, no reference', square, null],
    ];
    for (const [name, capture, sent] of cases) {
      const canceller = new EchoCanceller({ sampleRateHz: RATE });
      const out = cancel(capture, sent, canceller);
      const stats = canceller.stats();
      expect(Number.isFinite(stats.erleDb), name).toBe(true);
      expect(Number.isFinite(stats.leakage), name).toBe(true);
      // Never louder than what came in (over the last second, after settling), +1 dB of slack.
      const inDb = 10 * Math.log10(energy(capture, 4000, 4900) + 1);
      const outDb = 10 * Math.log10(energy(out, 4000, 4900) + 1);
      expect(outDb, name).toBeLessThanOrEqual(inDb + 1);
    }
  });

  it('passes silence as silence, and removes a DC offset while the bot speaks', () => {
    const silent = cancel(new Int16Array(samples), new Int16Array(samples));
    expect(silent.every((x) => x === 0)).toBe(true);
    const speaking = gaussianNoise(samples, 3000, 9);
    const dcOut = cancel(new Int16Array(samples).fill(20000), speaking);
    expect(Math.max(...dcOut.subarray(dcOut.length - RATE).map(Math.abs))).toBeLessThan(50);
  });

  it('passes the caller through bit for bit while nothing has been sent (a leg whose bot never spoke is untouched)', () => {
    const caller = Int16Array.from(gaussianNoise(samples, 3000, 8), clip);
    caller.fill(20000, 0, RATE); // a DC offset too: nothing to cancel, nothing changed
    const canceller = new EchoCanceller({ sampleRateHz: RATE });
    expect(cancel(caller, null, canceller)).toEqual(caller.subarray(0, Math.floor(caller.length / FRAME) * FRAME));
    expect(canceller.stats().bypassedFrames).toBe(Math.floor(caller.length / FRAME));
  });

  it('rejects unsupported rates and wrong frame sizes', () => {
    expect(() => new EchoCanceller({ sampleRateHz: 48000 as 8000 })).toThrow();
    const canceller = new EchoCanceller({ sampleRateHz: RATE });
    expect(() => canceller.process(new Int16Array(100), null, new Int16Array(100))).toThrow(InvalidArgumentError);
  });
});

describe('EchoCanceller on a nonlinear, G.711-coded echo path', () => {
  // A loudspeaker driven into soft clipping, G.711 both ways, the echo at -6 dB: the linear filter
  // leaves the distortion (harmonics where its own echo estimate is weak) and the coding noise.
  // What the VAD finds in the output over echo alone is what barge-in would act on.

  // The echo bench's nonlinear trace: 31.2 onsets a minute after 5 s with no canceller, 69.6 with
  // the canceller before its suppressor took the echo's broadband share, the filter's failed
  // blocks and a comfort-noise floor into account (more than none: residual gated in and out of
  // the floor), 19.2 with the filter's failed blocks suppressed together with the error of the
  // block before them (spread into them at full level), 12 with the suppressor's echo share held
  // through the bot's pauses and its floor holding each block's own power, 2.4 now. The test
  // holds what is met, with one onset of margin.
  it('leaves the VAD at most 4.8 onsets a minute on echo alone after 5 s', () => {
    const sent = new Resampler(16000, RATE).process(botSpeech(30_000));
    const echo = echoOf(sent, { rateHz: RATE, gainDb: -6, delayMs: 150, response: roomResponse(RATE, 80, 107), g711: true, nonlinearity: 0.5 });
    const hiss = gaussianNoise(sent.length, 10, 1107);
    const capture = capturedLine(echo, hiss, true);
    expect(vadOnsetsPerMinute(capture, 5000)).toBeGreaterThan(20); // the echo alone is speech to the VAD
    expect(vadOnsetsPerMinute(cancel(capture, sent), 5000)).toBeLessThanOrEqual(4.8);
  });
});

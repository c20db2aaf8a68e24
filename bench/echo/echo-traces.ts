// The echo bench's traces, made reproducibly: bot speech (espeak-ng) sent on a leg, its echo
// through a synthetic room or hybrid response at -6/-10/-20 dB, bulk delays 40-300 ms, with
// drift (a sliding clock, and the steps of jitter buffers absorbing it), G.711 on the path, a mild loudspeaker nonlinearity, and, in the double-talk traces,
// the caller speaking over the echo.
import { FRAME_MS } from '../../engine/media/frame.js';
import { Resampler } from '../../engine/native/resampler.js';
import { botSpeech } from '../../test/support/bot-speech.js';
import { capturedLine, echoOf, gaussianNoise, hybridResponse, roomResponse, type EchoPathOptions } from '../../test/support/echo-path.js';
import { renderSpeech } from '../../test/support/speech.js';

export const TRACE_MS = 30_000;
// The caller talks over the echo from here on, in the double-talk traces.
export const DOUBLE_TALK_FROM_MS = 15_000;

export interface EchoTraceSpec {
  name: string;
  rateHz: 8000 | 16000;
  path: Omit<EchoPathOptions, 'rateHz' | 'response'>;
  response: 'room' | 'hybrid';
  // Linear path: no coding, no nonlinearity (where the 25 dB goal applies).
  linear: boolean;
  doubleTalk: boolean;
}

export const traceSpecs: readonly EchoTraceSpec[] = [
  { name: 'room_-10dB_100ms', rateHz: 8000, response: 'room', path: { gainDb: -10, delayMs: 100 }, linear: true, doubleTalk: false },
  { name: 'room_-6dB_40ms', rateHz: 8000, response: 'room', path: { gainDb: -6, delayMs: 40 }, linear: true, doubleTalk: false },
  { name: 'room_-20dB_300ms', rateHz: 8000, response: 'room', path: { gainDb: -20, delayMs: 280 }, linear: true, doubleTalk: false },
  { name: 'room_-10dB_200ms_16k', rateHz: 16000, response: 'room', path: { gainDb: -10, delayMs: 200 }, linear: true, doubleTalk: false },
  { name: 'hybrid_-10dB_60ms_g711', rateHz: 8000, response: 'hybrid', path: { gainDb: -10, delayMs: 60, g711: true }, linear: false, doubleTalk: false },
  { name: 'room_-10dB_100ms_jitter_buffer_steps_20ms_per_7s', rateHz: 8000, response: 'room', path: { gainDb: -10, delayMs: 100, delaySteps: { everyMs: 7000, stepMs: 20 } }, linear: true, doubleTalk: false },
  { name: 'room_-10dB_120ms_drift_6ms_per_min', rateHz: 8000, response: 'room', path: { gainDb: -10, delayMs: 120, driftMsPerMinute: 6 }, linear: true, doubleTalk: false },
  { name: 'room_-6dB_150ms_g711_nonlinear', rateHz: 8000, response: 'room', path: { gainDb: -6, delayMs: 150, g711: true, nonlinearity: 0.5 }, linear: false, doubleTalk: false },
  { name: 'doubletalk_room_-6dB_150ms_g711', rateHz: 8000, response: 'room', path: { gainDb: -6, delayMs: 150, g711: true }, linear: false, doubleTalk: true },
  { name: 'doubletalk_hybrid_-10dB_80ms', rateHz: 8000, response: 'hybrid', path: { gainDb: -10, delayMs: 80 }, linear: true, doubleTalk: true },
];

export interface EchoTrace {
  spec: EchoTraceSpec;
  sent: Int16Array;
  echo: Float64Array;
  // The caller's own audio as it reaches the node (zeros where the caller is silent).
  caller: Float64Array;
  capture: Int16Array;
}

function toRate(pcm16k: Int16Array, rateHz: 8000 | 16000): Int16Array {
  return rateHz === 16000 ? pcm16k : new Resampler(16000, rateHz).process(pcm16k);
}

// The caller: sentences with pauses, at the echo's level (0 dB caller-to-echo on the -6 dB path).
function callerSpeech(rateHz: number, samples: number): Int16Array {
  const lines = [
    'Sorry, can I stop you there? I need to change the delivery address.',
    'It is twelve Baker Street, not the old one.',
    'And please call me back this afternoon.',
  ].map((text) => renderSpeech(text, { rateHz, voice: 'en-us' }));
  const out = new Int16Array(samples);
  let at = 0;
  for (let i = 0; at < samples; i++) {
    const line = lines[i % lines.length]!;
    out.set(line.subarray(0, Math.min(line.length, samples - at)), at);
    at += line.length + rateHz / 2;
  }
  return out;
}

// The bench's trace `index` of traceSpecs (its room and hiss drawn from its own seed).
export const benchTrace = (index: number): EchoTrace => makeTrace(traceSpecs[index]!, 100 + index);

export function makeTrace(spec: EchoTraceSpec, seed: number): EchoTrace {
  const { rateHz } = spec;
  const samples = (rateHz / 1000) * TRACE_MS;
  const sent = toRate(botSpeech(TRACE_MS), rateHz).subarray(0, samples);
  const response = spec.response === 'room' ? roomResponse(rateHz, 80, seed) : hybridResponse(rateHz);
  const echo = echoOf(sent, { ...spec.path, rateHz, response });
  const caller = new Float64Array(samples);
  // A faint line hiss everywhere (-70 dBFS), as no real line is digitally silent.
  const hiss = gaussianNoise(samples, 10, seed + 1000);
  for (let i = 0; i < samples; i++) caller[i] = hiss[i]!;
  if (spec.doubleTalk) {
    const from = (rateHz / 1000) * DOUBLE_TALK_FROM_MS;
    const speech = callerSpeech(rateHz, samples - from);
    let echoEnergy = 0;
    for (let i = 0; i < from; i++) echoEnergy += echo[i]! * echo[i]!;
    let speechEnergy = 0;
    for (const x of speech) speechEnergy += x * x;
    const gain = Math.sqrt(echoEnergy / from / (speechEnergy / speech.length));
    for (let i = 0; i < speech.length; i++) caller[from + i]! += speech[i]! * gain;
  }
  return { spec, sent, echo, caller, capture: capturedLine(echo, caller, spec.path.g711 ?? false) };
}

// A call, not a monologue: the bot's answers alternate with the caller's turns, this long each.
const CONVERSATION_TURN_MS = 5000;

export const botTalksInConversation = (frame: number): boolean => Math.floor((frame * FRAME_MS) / CONVERSATION_TURN_MS) % 2 === 0;

// The conversation at 8 kHz: in the caller's turns nothing is sent, and the caller's line carries
// only the echo of the bot's answers (through the first trace's room at -10 dB, 120 ms) and hiss.
export function conversationTrace(): EchoTrace {
  const { spec, sent: spoken } = benchTrace(0);
  const { rateHz } = spec;
  const frameSamples = (rateHz / 1000) * FRAME_MS;
  const sent = Int16Array.from(spoken, (x, i) => (botTalksInConversation(Math.floor(i / frameSamples)) ? x : 0));
  const echo = echoOf(sent, { rateHz, gainDb: -10, delayMs: 120, response: roomResponse(rateHz, 80, 100) });
  const capture = capturedLine(echo, gaussianNoise(sent.length, 10, 1100), false);
  return { spec, sent, echo, caller: new Float64Array(sent.length), capture };
}

// Echo cancellation side by side: every trace of echo-traces.ts through Parley's canceller
// (native/dsp/echo_canceller.*, through its binding, one call per 20 ms frame), Speex's
// (libspeexdsp MDF + its residual echo suppressor) and WebRTC's (webrtc-audio-processing 0.3
// AEC, delay-agnostic), in the same run. Measures ERLE (steady state and per second),
// convergence, the caller's speech in double talk (SNR after cancellation, VAD recall with the
// project's VAD), VAD onsets on echo alone (the false barge-ins it would cause), and µs per frame;
// and what the canceller adds to a whole G.711 call (pcmu-call-cpu.ts).
import { FRAME_MS } from '../../engine/media/frame.js';
import { EchoCanceller } from '../../engine/native/echo-canceller.js';
import { Vad } from '../../engine/native/vad.js';
import { benchTrace, conversationTrace, DOUBLE_TALK_FROM_MS, TRACE_MS, traceSpecs, type EchoTrace } from './echo-traces.js';
import { botAllAlong, conversationCalls, pcmuCallCpu, type CallAudio } from './pcmu-call-cpu.js';
import { buildReferenceRunners, runReference } from './reference-runners.js';

// Frames whose echo is below this (dBFS) carry too little echo to measure its removal on.
const ECHO_ACTIVE_DBFS = -55;
// Convergence: the first time the ERLE over the next 500 ms reaches this.
const CONVERGED_ERLE_DB = 20;
const CONVERGENCE_WINDOW_MS = 500;
// Speex has no delay estimator: its filter spans the whole searched delay range plus the tail
// Parley's filter models, so both cover the same echo paths.
const SPEEX_FILTER_MS = 300 + 120;

interface CancellerResult {
  erle_steady_db: number;
  erle_per_second_db: number[];
  convergence_ms: number | null;
  caller_snr_db?: number;
  caller_vad_recall?: number;
  echo_vad_onsets_per_min: number;
  // The same from 5 s on, after every canceller has had time to converge.
  echo_vad_onsets_per_min_after_5s: number;
  us_per_frame: number;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
const db = (num: number, den: number): number => 10 * Math.log10((num + 1) / (den + 1));

function frameEnergies(signal: ArrayLike<number>, frameSamples: number, frames: number): Float64Array {
  const out = new Float64Array(frames);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let i = f * frameSamples; i < (f + 1) * frameSamples && i < signal.length; i++) sum += signal[i]! * signal[i]!;
    out[f] = sum;
  }
  return out;
}

function vadOnsetsPerMinute(decisions: Uint8Array, fromFrame: number, toFrame: number): number {
  let onsets = 0;
  for (let f = Math.max(1, fromFrame); f < toFrame; f++) if (decisions[f] && !decisions[f - 1]) onsets++;
  return (onsets * 60_000) / ((toFrame - fromFrame) * FRAME_MS);
}

export function score(trace: EchoTrace, output: Int16Array, latency: number, usPerFrame: number): CancellerResult {
  const { rateHz } = trace.spec;
  const frameSamples = (rateHz / 1000) * FRAME_MS;
  const frames = Math.floor((trace.capture.length - latency) / frameSamples);
  const aligned = output.subarray(latency, latency + frames * frameSamples);
  const residual = Float64Array.from(aligned, (x, i) => x - trace.caller[i]!);
  const echoE = frameEnergies(trace.echo, frameSamples, frames);
  const residualE = frameEnergies(residual, frameSamples, frames);
  const activeFloor = frameSamples * Math.pow(10, ECHO_ACTIVE_DBFS / 10) * 32768 * 32768;
  const echoOnlyFrames = Math.min(frames, (trace.spec.doubleTalk ? DOUBLE_TALK_FROM_MS : TRACE_MS) / FRAME_MS);
  const erleOver = (from: number, to: number): number | null => {
    let e = 0;
    let r = 0;
    for (let f = from; f < Math.min(to, echoOnlyFrames); f++) {
      if (echoE[f]! < activeFloor) continue;
      e += echoE[f]!;
      r += residualE[f]!;
    }
    return e === 0 ? null : db(e, r);
  };
  const perSecond: number[] = [];
  for (let f = 0; f + 1000 / FRAME_MS <= echoOnlyFrames; f += 1000 / FRAME_MS) perSecond.push(round1(erleOver(f, f + 1000 / FRAME_MS) ?? 0));
  let convergence: number | null = null;
  for (let f = 0; f + CONVERGENCE_WINDOW_MS / FRAME_MS <= echoOnlyFrames; f += 100 / FRAME_MS) {
    const erle = erleOver(f, f + CONVERGENCE_WINDOW_MS / FRAME_MS);
    if (erle !== null && erle >= CONVERGED_ERLE_DB) {
      convergence = f * FRAME_MS;
      break;
    }
  }
  // Echo alone: onsets the VAD would hand barge-in, on the echo-only part.
  const vad = new Vad({ sampleRateHz: rateHz, frameMs: FRAME_MS });
  const decisions = vad.process(aligned.subarray(0, frames * frameSamples)).speech;
  const result: CancellerResult = {
    erle_steady_db: round1(erleOver(5000 / FRAME_MS, echoOnlyFrames) ?? 0),
    erle_per_second_db: perSecond,
    convergence_ms: convergence,
    echo_vad_onsets_per_min: round1(vadOnsetsPerMinute(decisions, 0, echoOnlyFrames)),
    echo_vad_onsets_per_min_after_5s: round1(vadOnsetsPerMinute(decisions, 5000 / FRAME_MS, echoOnlyFrames)),
    us_per_frame: Math.round(usPerFrame * 100) / 100,
  };
  if (trace.spec.doubleTalk) {
    // Labels: the project's VAD (raw decisions) on the caller's own audio alone.
    const callerPcm = Int16Array.from(trace.caller.subarray(0, frames * frameSamples), (x) => Math.max(-32768, Math.min(32767, Math.round(x))));
    const labels = new Vad({ sampleRateHz: rateHz, frameMs: FRAME_MS }).process(callerPcm).raw;
    const callerE = frameEnergies(trace.caller, frameSamples, frames);
    const raw = new Vad({ sampleRateHz: rateHz, frameMs: FRAME_MS }).process(aligned.subarray(0, frames * frameSamples)).raw;
    let speech = 0;
    let found = 0;
    let c = 0;
    let r = 0;
    for (let f = DOUBLE_TALK_FROM_MS / FRAME_MS; f < frames; f++) {
      if (!labels[f]) continue;
      speech++;
      if (raw[f]) found++;
      c += callerE[f]!;
      r += residualE[f]!;
    }
    result.caller_snr_db = round1(db(c, r));
    result.caller_vad_recall = Math.round((found / Math.max(1, speech)) * 1000) / 1000;
  }
  return result;
}

export function runParley(trace: EchoTrace): { output: Int16Array; latency: number; usPerFrame: number } {
  const canceller = new EchoCanceller({ sampleRateHz: trace.spec.rateHz });
  const frameSamples = canceller.frameSamples;
  const frames = Math.floor(trace.capture.length / frameSamples);
  const output = new Int16Array(frames * frameSamples);
  const samples = frames * frameSamples;
  // CPU time, not wall time: on a shared machine wall time counts other processes' turns. The
  // whole trace in one call, frame by frame natively, as a session runs it: a JS call per frame
  // would add the binding's cost (about 1.5 µs a frame), which no call pays.
  const started = process.cpuUsage();
  canceller.process(trace.capture.subarray(0, samples), trace.sent.subarray(0, samples), output);
  const used = process.cpuUsage(started);
  const elapsedUs = used.user + used.system;
  return { output, latency: canceller.latencySamples, usPerFrame: elapsedUs / frames };
}

// Least of this many runs, for the canceller alone in a conversation and for each side of the calls.
const CPU_RUNS = 5;
// Paired rounds of the G.711 calls, the median one counting (pcmuCallCpu).
const CALL_ROUNDS = 9;

// The canceller alone through the conversation (echo-traces.ts): it skips its work once the
// reference is out of its reach. The least disturbed of a few runs: on a shared machine every run
// is the cost plus whatever other processes took of the caches and the core meanwhile.
export function conversationUsPerFrame(trace: EchoTrace): number {
  return Math.min(...Array.from({ length: CPU_RUNS }, () => runParley(trace).usPerFrame));
}

export async function run(): Promise<Record<string, unknown>> {
  const runners = buildReferenceRunners();
  const rows = [];
  const goals = { erle_at_least_best_reference: true, erle_25db_on_linear: true, convergence_1s: true, double_talk_recall_0_9: true };
  let parleyUs8k = 0;
  // The 8 kHz traces as G.711 calls, the bot talking all along.
  const narrowbandCalls: CallAudio[] = [];
  for (const [index, spec] of traceSpecs.entries()) {
    const trace = benchTrace(index);
    // Untouched capture: what VAD and barge-in see today.
    const none = score(trace, trace.capture, 0, 0);
    const parleyRun = runParley(trace);
    const parley = score(trace, parleyRun.output, parleyRun.latency, parleyRun.usPerFrame);
    const speexRun = runReference(runners.speex, spec.rateHz, trace.capture, trace.sent, [String(SPEEX_FILTER_MS)]);
    const speex = score(trace, speexRun.output, 0, speexRun.usPerFrame);
    const webrtcRun = runReference(runners.webrtc, spec.rateHz, trace.capture, trace.sent);
    const webrtc = score(trace, webrtcRun.output, 0, webrtcRun.usPerFrame);
    if (spec.rateHz === 8000) {
      parleyUs8k += parley.us_per_frame;
      narrowbandCalls.push(botAllAlong(trace));
    }
    const bestReference = Math.max(speex.erle_steady_db, webrtc.erle_steady_db);
    if (parley.erle_steady_db < bestReference) goals.erle_at_least_best_reference = false;
    if (spec.linear && parley.erle_steady_db < 25) goals.erle_25db_on_linear = false;
    if (parley.convergence_ms === null || parley.convergence_ms > 1000) goals.convergence_1s = false;
    if (spec.doubleTalk && (parley.caller_vad_recall ?? 0) < 0.9) goals.double_talk_recall_0_9 = false;
    rows.push({
      trace: spec.name,
      rate_hz: spec.rateHz,
      path: { ...spec.path, response: spec.response },
      linear: spec.linear,
      double_talk: spec.doubleTalk,
      none: { echo_vad_onsets_per_min: none.echo_vad_onsets_per_min, echo_vad_onsets_per_min_after_5s: none.echo_vad_onsets_per_min_after_5s, caller_snr_db: none.caller_snr_db, caller_vad_recall: none.caller_vad_recall },
      parley,
      speex,
      webrtc,
      parley_over_best_reference_erle_db: round1(parley.erle_steady_db - bestReference),
    });
    console.log(`[echo] ${spec.name}: ERLE parley ${parley.erle_steady_db} / speex ${speex.erle_steady_db} / webrtc ${webrtc.erle_steady_db} dB`);
  }
  const parleyUs = parleyUs8k / Math.max(1, narrowbandCalls.length);
  const conversation = conversationTrace();
  const conversationUs = conversationUsPerFrame(conversation);
  const callAllAlong = pcmuCallCpu(narrowbandCalls, CALL_ROUNDS);
  // As many calls in the conversation as in the other row.
  const callConversation = pcmuCallCpu(conversationCalls(conversation, narrowbandCalls.length), CALL_ROUNDS);
  for (const [row, call] of [['bot all along', callAllAlong], ['conversation', callConversation]] as const) {
    console.log(`[echo] G.711 call (${row}): ${call.us_per_frame_canceller_off} µs/frame canceller off, ${call.us_per_frame_canceller_on} on: ${call.canceller_on_over_off}x`);
  }
  return {
    echo: {
      method: {
        traces: `${TRACE_MS / 1000} s of espeak-ng bot speech per trace; double talk from ${DOUBLE_TALK_FROM_MS / 1000} s, caller at the echo's level`,
        erle: `echo over residual (output minus the caller's own audio) on 20 ms frames with echo above ${ECHO_ACTIVE_DBFS} dBFS, echo-only part; steady state from 5 s`,
        convergence: `first time the ERLE over the next ${CONVERGENCE_WINDOW_MS} ms reaches ${CONVERGED_ERLE_DB} dB (null: never)`,
        double_talk: "caller SNR: caller's audio over (output - caller) on frames the project's VAD finds speech in the caller's audio alone; recall: those frames found by the VAD on the output",
        false_bargeins: 'VAD (aggressiveness 2, 160 ms hangover) speech onsets per minute on the output over echo alone (barge-in would act on these)',
        speex: `libspeexdsp ${SPEEX_FILTER_MS} ms filter + preprocessor echo suppression (denoise off)`,
        webrtc: 'webrtc-audio-processing 0.3 AEC, extended filter + delay-agnostic, default suppression',
        cpu: `CPU µs per 20 ms frame. The canceller alone: processing only, the whole trace in one binding call, frame by frame natively as a session runs it (the conversation: least of ${CPU_RUNS} runs). A G.711 call: the load bench's media-only PCMU calls (bench/load/media-only-call.ts) in one process on a manual clock, one per 8 kHz trace (the conversation: as many, each from its own point), the capture as the caller's packets and the sent audio played by the bot, every frame timed (native tick, engine JS, bot side); ${CALL_ROUNDS} rounds of a run with the canceller off and one with it on, interleaved; the round with the median ratio on over off`,
      },
      traces: rows,
      parley_us_per_frame_8k: Math.round(parleyUs * 100) / 100,
      // The bot's answers and the caller's turns alternating 5 s each (conversationUsPerFrame).
      parley_us_per_frame_8k_conversation: Math.round(conversationUs * 100) / 100,
      // Whole G.711 calls with the canceller off and on, side by side (pcmu-call-cpu.ts).
      pcmu_call: { bot_all_along: callAllAlong, conversation: callConversation },
      goals: {
        ...goals,
        cpu_within_1_5x_pcmu_call: callConversation.canceller_on_over_off <= 1.5,
        cpu_within_1_5x_pcmu_call_bot_all_along: callAllAlong.canceller_on_over_off <= 1.5,
      },
    },
  };
}

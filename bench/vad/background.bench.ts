// False barge-ins caused by what is behind the caller: one minute of white, pink or babble noise
// on the caller's line, 10 dB below the caller's speech level (-26 dBFS), while the bot talks, in
// media time through the media engine. After each barge-in the bot resumes, so the count is how
// often the bot would be cut off. Side by side: as the bot's first answer (nothing known of the
// caller), and after a caller turn (4 s of their speech with the bot silent, which barge-in's
// level consistency learns from: barge_in_detector.h). And the other side of it: real
// interruptions with babble 10 dB under the caller, the same two ways (recall and decision time).
import { runBargeIn, RUN_FRAME_SAMPLES } from '../../test/support/barge-in-run.js';
import { botSpeech } from '../../test/support/bot-speech.js';
import { corpusInterruptions } from '../../test/support/corpus-interruption.js';
import { rmsDbfs } from '../../test/support/signal-metrics.js';
import { cleanSpeech, noise, noiseKinds, noisySpeech } from '../../test/support/vad-corpus.js';

const RUN_MS = 60_000;
const BACKGROUND_DBFS = -36;
const FRAME_MS = 20;
const CALLER_TURN_MS = 4000;
const MIN_SPEECH_MS = 120;

// The caller's turn: the corpus's first utterances (at its -26 dBFS speech level), 4 s.
function callerTurn(): Int16Array {
  const clean = cleanSpeech(FRAME_MS);
  return clean.samples.slice(clean.utterances[0]!.start, clean.utterances[0]!.start + (16000 / 1000) * CALLER_TURN_MS);
}

// Each utterance of the babble-10-dB corpus as an interruption: the bot starts 1 s before it
// (after the caller's turn, when `afterTurn`), and the decision is the frame that flushed it.
// A barge-in before the utterance's first labelled frame is the babble's, not the caller's: it is
// not a detection, so recall, the mean and the max count only barge-ins after the onset; it is
// shown apart (fired_before_onset, and negative in per_utterance; null where none fired).
function interruptions(afterTurn: boolean): { recall: number; mean_ms: number; max_ms: number; fired_before_onset: number; per_utterance: (number | null)[] } {
  const corpus = noisySpeech('babble', 10, FRAME_MS);
  const turn = afterTurn ? callerTurn() : new Int16Array(0);
  const turnFrames = turn.length / RUN_FRAME_SAMPLES;
  const bot = botSpeech(10_000);
  const latencies: number[] = [];
  const perUtterance: (number | null)[] = [];
  let firedBeforeOnset = 0;
  const scenarios = corpusInterruptions(corpus, corpus.noisy);
  for (const { caller: interruption, leadFrames } of scenarios) {
    const caller = new Int16Array(turn.length + interruption.length);
    caller.set(turn);
    caller.set(interruption, turn.length);
    const run = runBargeIn(caller, bot, { session: { bargeInMinSpeechMs: MIN_SPEECH_MS }, botStartFrame: turnFrames });
    const first = run.bargeIns[0];
    const decidedMs = first === undefined ? null : (first.frame + 1 - turnFrames - leadFrames) * FRAME_MS;
    perUtterance.push(decidedMs);
    if (decidedMs === null) continue;
    if (decidedMs <= 0) firedBeforeOnset++;
    else latencies.push(decidedMs);
  }
  return {
    recall: Math.round((latencies.length / scenarios.length) * 1000) / 1000,
    mean_ms: Math.round(latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length)),
    max_ms: Math.max(...latencies),
    fired_before_onset: firedBeforeOnset,
    per_utterance: perUtterance,
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const bot = botSpeech(RUN_MS);
  const rows = noiseKinds.map((kind) => {
    const raw = noise(kind, bot.length);
    const gain = 10 ** ((BACKGROUND_DBFS - rmsDbfs(raw)) / 20);
    const line = raw.map((x) => Math.round(x * gain));
    const run = runBargeIn(line, bot, { resumeAfterBargeIn: true });
    const turn = callerTurn();
    const afterTurn = new Int16Array(turn.length + line.length);
    afterTurn.set(turn);
    afterTurn.set(line, turn.length);
    const learnt = runBargeIn(afterTurn, bot, { resumeAfterBargeIn: true, botStartFrame: turn.length / RUN_FRAME_SAMPLES });
    return {
      noise: kind,
      level_dbfs: BACKGROUND_DBFS,
      false_bargeins_per_min: (run.bargeIns.length * 60_000) / RUN_MS,
      false_bargeins_per_min_after_caller_turn: (learnt.bargeIns.length * 60_000) / RUN_MS,
    };
  });
  return {
    background_noise_bargeins: { run_ms: RUN_MS, caller_turn_ms: CALLER_TURN_MS, rows },
    babble_10db_interruptions: { first_answer: interruptions(false), after_caller_turn: interruptions(true) },
  };
}

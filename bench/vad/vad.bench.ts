// VAD frame precision/recall on the generated noisy speech, ours and WebRTC's (fvad) side by side
// on the same frames, and the barge-in decision latency measured in media time through the media
// engine (speech onset in the caller's audio → the frame in which the bot's queue is flushed).
import { Resampler } from '../../engine/native/resampler.js';
import { Vad } from '../../engine/native/vad.js';
import { runBargeIn, RUN_FRAME_SAMPLES, RUN_RATE_HZ, type EchoPath } from '../../test/support/barge-in-run.js';
import { botSpeech } from '../../test/support/bot-speech.js';
import { corpusInterruptions } from '../../test/support/corpus-interruption.js';
import { cleanSpeech, evaluationSnrsDb, noiseKinds, noisySpeech, VAD_RATE_HZ, type NoisySpeech } from '../../test/support/vad-corpus.js';
import { countFrames, emptyCounts, precision, recall, type FrameCounts } from '../../test/support/vad-score.js';
import { round3 } from '../side-by-side.js';
import { fvadDecisions } from './fvad-peer.js';

// Frame decisions are scored at the session's defaults: aggressiveness 2 and a 160 ms hangover.
// A longer hangover (300 ms) is scored beside them: it holds speechStopped back for bots that take
// it as the end of a turn, and its extra frames after speech count against precision. The peer
// runs in the mode of the same number.
const AGGRESSIVENESS = 2;
const HANGOVER_MS = 160;
const LONG_HANGOVER_MS = 300;
const MIN_SPEECH_MS = 120;
const FRAME_MS = 20;

async function score(
  corpus: NoisySpeech,
  aggressiveness: number,
  ours: FrameCounts,
  peer: FrameCounts,
  hangoverMs = HANGOVER_MS,
  rateHz: 8000 | 16000 = VAD_RATE_HZ,
): Promise<void> {
  // At 8 kHz both detectors hear the corpus as a G.711 leg delivers it: a media session analyses
  // the lower of its leg's and its bot's rates.
  const audio = rateHz === VAD_RATE_HZ ? corpus.noisy : new Resampler(VAD_RATE_HZ, rateHz).process(corpus.noisy);
  const frameSamples = (rateHz / 1000) * FRAME_MS;
  countFrames(corpus.labels, new Vad({ aggressiveness, hangoverMs, frameMs: FRAME_MS, sampleRateHz: rateHz }).process(audio).speech, ours);
  countFrames(corpus.labels, await fvadDecisions(audio, rateHz, frameSamples, aggressiveness), peer);
}

const row = (ours: FrameCounts, peer: FrameCounts) => ({
  recall: round3(recall(ours)),
  precision: round3(precision(ours)),
  peer_recall: round3(recall(peer)),
  peer_precision: round3(precision(peer)),
});

// The echo canceller's row: the caller interrupts this far into the bot's answer, once the
// canceller has had the bot's first sentences to converge on (it is not trusted 1 s in, where the
// other rows interrupt, and Geigel's test then holds a caller at their own level back for good).
const CANCELLER_LEAD_MS = 4000;

// Per utterance: the caller's audio from 1 s (or the preceding gap) before its first labelled
// speech frame (after `extraLeadMs` of silence more), the bot talking throughout; latency = end of
// the frame that flushed − onset; NaN if it never fired.
function bargeInLatencies(corpus: NoisySpeech, echo?: EchoPath, canceller?: { extraLeadMs: number }): number[] {
  const bot = botSpeech(10_000);
  const extraFrames = (canceller?.extraLeadMs ?? 0) / FRAME_MS;
  return corpusInterruptions(corpus, corpus.noisy).map(({ caller: utterance, leadFrames }) => {
    const caller = new Int16Array(extraFrames * RUN_FRAME_SAMPLES + utterance.length);
    caller.set(utterance, extraFrames * RUN_FRAME_SAMPLES);
    const run = runBargeIn(caller, bot, { session: { bargeInMinSpeechMs: MIN_SPEECH_MS, echoCancellation: canceller !== undefined }, echo });
    const fired = run.bargeIns[0];
    return fired === undefined ? Number.NaN : (fired.frame + 1 - leadFrames - extraFrames) * FRAME_MS;
  });
}

// CPU per 20 ms frame, ours (one native call for the whole buffer) and the peer's (WebAssembly,
// one call per frame), on the same 34 s of noisy speech, best of five.
async function costPerFrameUs(corpus: NoisySpeech): Promise<{ ours: number; peer: number; ratio: number }> {
  const frames = corpus.labels.length;
  const best = async (work: () => unknown): Promise<number> => {
    let fastest = Infinity;
    for (let i = 0; i < 5; i++) {
      const started = process.hrtime.bigint();
      await work();
      fastest = Math.min(fastest, Number(process.hrtime.bigint() - started) / 1000 / frames);
    }
    return Math.round(fastest * 100) / 100;
  };
  const ours = await best(() => new Vad({ hangoverMs: HANGOVER_MS }).process(corpus.noisy));
  const peer = await best(() => fvadDecisions(corpus.noisy, VAD_RATE_HZ, (VAD_RATE_HZ / 1000) * FRAME_MS, AGGRESSIVENESS));
  return { ours, peer, ratio: Math.round((ours / peer) * 100) / 100 };
}

// Over the utterances decided; `undecided` counts those that never interrupted the bot (null in
// per_utterance).
const summary = (latencies: number[]) => {
  const decided = latencies.filter((ms) => !Number.isNaN(ms));
  return {
    mean: Math.round(decided.reduce((a, b) => a + b, 0) / decided.length),
    max: Math.max(...decided),
    per_utterance: latencies.map((ms) => (Number.isNaN(ms) ? null : ms)),
    undecided: latencies.length - decided.length,
  };
};

export async function run(): Promise<Record<string, unknown>> {
  const rows = [];
  const rowsByNoise = [];
  const byAggressiveness = [];
  for (const snrDb of evaluationSnrsDb) {
    const ours = emptyCounts();
    const peer = emptyCounts();
    for (const noise of noiseKinds) {
      const oursOne = emptyCounts();
      const peerOne = emptyCounts();
      await score(noisySpeech(noise, snrDb, FRAME_MS), AGGRESSIVENESS, oursOne, peerOne);
      for (const key of Object.keys(ours) as (keyof FrameCounts)[]) {
        ours[key] += oursOne[key];
        peer[key] += peerOne[key];
      }
      rowsByNoise.push({ snr_db: snrDb, noise, ...row(oursOne, peerOne) });
    }
    rows.push({ snr_db: snrDb, noise: 'white+pink+babble', ...row(ours, peer) });
  }
  for (const aggressiveness of [0, 1, 2, 3]) {
    const ours = emptyCounts();
    const peer = emptyCounts();
    for (const noise of noiseKinds) await score(noisySpeech(noise, 10, FRAME_MS), aggressiveness, ours, peer);
    byAggressiveness.push({ aggressiveness, snr_db: 10, ...row(ours, peer) });
  }
  const at8kHz = [];
  for (const snrDb of evaluationSnrsDb) {
    const ours = emptyCounts();
    const peer = emptyCounts();
    for (const noise of noiseKinds) await score(noisySpeech(noise, snrDb, FRAME_MS), AGGRESSIVENESS, ours, peer, HANGOVER_MS, 8000);
    at8kHz.push({ snr_db: snrDb, rate_hz: 8000, ...row(ours, peer) });
  }
  const atLongHangover = [];
  for (const snrDb of evaluationSnrsDb) {
    const ours = emptyCounts();
    const peer = emptyCounts();
    for (const noise of noiseKinds) await score(noisySpeech(noise, snrDb, FRAME_MS), AGGRESSIVENESS, ours, peer, LONG_HANGOVER_MS);
    atLongHangover.push({ snr_db: snrDb, hangover_ms: LONG_HANGOVER_MS, ...row(ours, peer) });
  }

  const clean = cleanSpeech(FRAME_MS);
  const cleanCorpus: NoisySpeech = { ...clean, noise: 'white', snrDb: Infinity, noisy: clean.samples };
  const cleanLatency = bargeInLatencies(cleanCorpus);
  const white10Latency = bargeInLatencies(noisySpeech('white', 10, FRAME_MS));
  // Double talk: the caller interrupts while the bot's echo (-10 dB, 100 ms) is on the line.
  const echoPath: EchoPath = { delayMs: 100, gainDb: -10 };
  const echoLatency = bargeInLatencies(cleanCorpus, echoPath);
  // The same with the echo canceller on (the default on telephone legs), 4 s into the answer.
  const cancelledLatency = bargeInLatencies(cleanCorpus, echoPath, { extraLeadMs: CANCELLER_LEAD_MS });
  return {
    config: { aggressiveness: AGGRESSIVENESS, hangover_ms: HANGOVER_MS, frame_ms: FRAME_MS, rate_hz: VAD_RATE_HZ, peer: '@echogarden/fvad-wasm (libfvad, WebRTC VAD) mode = aggressiveness' },
    labelled_frames: { total: clean.labels.length, speech: clean.labels.reduce((a, b) => a + b, 0) },
    rows,
    rows_by_noise: rowsByNoise,
    by_aggressiveness_at_10db: byAggressiveness,
    rows_at_8khz: at8kHz,
    rows_at_300ms_hangover: atLongHangover,
    cpu_us_per_frame: await costPerFrameUs(noisySpeech('pink', 10, FRAME_MS)),
    bargein_min_speech_ms: MIN_SPEECH_MS,
    bargein_decision_ms: summary(cleanLatency).max,
    bargein_decision: {
      clean: summary(cleanLatency),
      white_10db: summary(white10Latency),
      clean_over_echo_minus10db_100ms: summary(echoLatency),
      clean_over_echo_minus10db_100ms_canceller: { ...summary(cancelledLatency), added_lead_ms: CANCELLER_LEAD_MS },
      rate_hz: RUN_RATE_HZ,
    },
  };
}

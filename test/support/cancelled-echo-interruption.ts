// A caller interrupting the bot over its echo with the echo canceller on, in media time through
// the media engine (barge-in-run.ts): one of the speech corpus's utterances, its first labelled
// speech frame `startMs` into the bot's answer, over line hiss and the bot's echo. bench/vad runs
// it on a grid of echo paths and start times (cancelled-echo-grid.bench.ts), the tests on the
// cases that grid showed.
import { FRAME_MS } from '../../engine/media/frame.js';
import { runBargeIn, RUN_FRAME_SAMPLES, type EchoPath } from './barge-in-run.js';
import { botSpeech } from './bot-speech.js';
import { corpusInterruptions, type CorpusInterruption } from './corpus-interruption.js';
import { cleanSpeech, noise } from './vad-corpus.js';

const MIN_SPEECH_MS = 120;
// Line hiss: sox's white noise / 300, -65 dBFS (the grid's first runs, issue 17, called it -70).
const HISS_DIVISOR = 300;

let interruptions: CorpusInterruption[] | undefined; // the corpus, rendered once for every case

// Speech onset -> the end of the frame that flushed the bot's queue; null when it never fired.
export function cancelledEchoInterruption(path: EchoPath, startMs: number, utterance: number): number | null {
  interruptions ??= corpusInterruptions(cleanSpeech(FRAME_MS));
  const { caller: speech, leadFrames } = interruptions[utterance]!;
  const silentFrames = startMs / FRAME_MS - leadFrames;
  const samples = silentFrames * RUN_FRAME_SAMPLES + speech.length;
  const caller = noise('white', samples).map((x) => Math.round(x / HISS_DIVISOR));
  for (let i = 0; i < speech.length; i++) caller[silentFrames * RUN_FRAME_SAMPLES + i]! += speech[i]!;
  const bot = botSpeech((samples / RUN_FRAME_SAMPLES) * FRAME_MS);
  const run = runBargeIn(caller, bot, { session: { bargeInMinSpeechMs: MIN_SPEECH_MS, echoCancellation: true }, echo: path });
  const fired = run.bargeIns[0];
  return fired === undefined ? null : (fired.frame + 1 - leadFrames - silentFrames) * FRAME_MS;
}

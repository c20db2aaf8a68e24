// Each utterance of a VAD corpus as an interruption of the bot: the caller's audio (`audio`: the
// corpus's clean samples or its noisy mix) from 1 s (or the preceding gap, if shorter) before the
// utterance's first labelled speech frame to its end.
// A barge-in that fired in frame F of it was decided (F + 1 - leadFrames) frames after the onset.
import { RUN_FRAME_SAMPLES } from './barge-in-run.js';
import type { CleanSpeech } from './vad-corpus.js';

const MAX_LEAD_FRAMES = 50;

export interface CorpusInterruption {
  caller: Int16Array;
  leadFrames: number;
}

export function corpusInterruptions(corpus: CleanSpeech, audio: Int16Array = corpus.samples): CorpusInterruption[] {
  return corpus.utterances.map((utterance, i) => {
    let onset = Math.floor(utterance.start / RUN_FRAME_SAMPLES);
    while (!corpus.labels[onset]) onset++;
    const previousEnd = i === 0 ? 0 : corpus.utterances[i - 1]!.end;
    const leadFrames = Math.min(MAX_LEAD_FRAMES, Math.floor((onset * RUN_FRAME_SAMPLES - previousEnd) / RUN_FRAME_SAMPLES));
    return { caller: audio.subarray((onset - leadFrames) * RUN_FRAME_SAMPLES, utterance.end), leadFrames };
  });
}

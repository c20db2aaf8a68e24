// speech_started while the bot talks (docs/bot-protocol.md): the bot's own voice coming back on
// the caller's leg is not the caller speaking, the caller talking over the bot is.
import { describe, expect, it } from 'vitest';
import { runBargeIn, RUN_FRAME_SAMPLES, RUN_RATE_HZ } from '../../support/barge-in-run.js';
import { botSpeech } from '../../support/bot-speech.js';
import { cleanSpeech, noise } from '../../support/vad-corpus.js';

const FRAME_MS = 20;
const ECHO_GAIN_DB = -10;
const ECHO_DELAYS_MS = [100, 200, 300, 450];

// Quiet line hiss (about -60 dBFS).
function hiss(totalMs: number): Int16Array {
  return noise('white', (RUN_RATE_HZ / 1000) * totalMs).map((x) => Math.round(x / 100));
}

// The corpus's first utterance, from its first labelled speech frame.
function callerSpeech(): Int16Array {
  const corpus = cleanSpeech(20);
  const start = corpus.labels.indexOf(1);
  return corpus.samples.subarray(start * RUN_FRAME_SAMPLES, corpus.utterances[0]!.end);
}

describe('speech_started while the bot talks', () => {
  const longBot = botSpeech(12_000);
  const line = hiss(14_000);

  it('is not reported for the echo of the bot alone (-10 dB, 100-450 ms), with the canceller off or on', () => {
    for (const echoCancellation of [false, true]) {
      for (const delayMs of ECHO_DELAYS_MS) {
        const run = runBargeIn(line, longBot, { echo: { delayMs, gainDb: ECHO_GAIN_DB }, session: { echoCancellation } });
        const label = `echo ${ECHO_GAIN_DB} dB, ${delayMs} ms, canceller ${echoCancellation}`;
        // The VAD did hear the echo as speech: the gate, not the VAD, keeps it from the bot.
        expect(run.speechFrames, label).toBeGreaterThan(0);
        expect(run.speechStarts, label).toEqual([]);
        expect(run.bargeIns, label).toEqual([]);
      }
    }
  });

  it('is reported when the caller talks over the bot and its echo, no later than barge-in', () => {
    const at = RUN_RATE_HZ * 5;
    const talking = line.slice();
    const speech = callerSpeech();
    for (let i = 0; i < speech.length; i++) talking[at + i]! += speech[i]!;
    const atFrame = at / RUN_FRAME_SAMPLES;
    for (const delayMs of ECHO_DELAYS_MS) {
      const run = runBargeIn(talking, longBot, { echo: { delayMs, gainDb: ECHO_GAIN_DB }, session: { echoCancellation: false } });
      const label = `echo ${ECHO_GAIN_DB} dB, ${delayMs} ms`;
      expect(run.bargeIns, label).toHaveLength(1);
      const caller = run.speechStarts.filter((frame) => frame >= atFrame);
      expect(caller.length, label).toBeGreaterThanOrEqual(1);
      expect(run.speechStarts.filter((frame) => frame < atFrame), label).toEqual([]);
      expect(caller[0]!, label).toBeLessThanOrEqual(run.bargeIns[0]!.frame);
      expect((caller[0]! + 1 - atFrame) * FRAME_MS, label).toBeLessThanOrEqual(400);
    }
  });

  it('is reported at the VAD onset, as before, when the bot is silent', () => {
    expect(runBargeIn(line, new Int16Array(0)).speechStarts).toEqual([]);
    const turn = line.slice();
    const speech = callerSpeech();
    const at = RUN_RATE_HZ;
    for (let i = 0; i < speech.length; i++) turn[at + i]! += speech[i]!;
    const onset = runBargeIn(turn, new Int16Array(0)).speechStarts[0]!;
    expect(onset).toBeGreaterThanOrEqual(at / RUN_FRAME_SAMPLES);
    expect(onset).toBeLessThanOrEqual(at / RUN_FRAME_SAMPLES + 2);
  });
});

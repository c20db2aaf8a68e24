// Barge-in with the echo canceller on, in media time (test/support/barge-in-run.ts), over an echo
// path that moves while the bot talks, as a jitter buffer or a handset moves it: its delay steps
// by up to ±20 ms every 1.5-4 s. Each step loses the canceller's filter for a moment: the echo
// then comes through its output, louder than its residual prediction, and the VAD hears it as
// speech. The echo alone must still never interrupt the bot nor read as the caller. What holds it
// off in those moments is the measured reduction falling as the echo's frames are learnt
// (BargeInDetector::LearnCancellation): holding the trust and that reduction through each run the
// VAD calls speech, for up to 500 ms (a double-talk hold tried for issue 17,
// docs/echo-cancellation.md), let the echo of seed 8 interrupt the bot 2.3-4.7 s in. After a step
// the filter relearns for seconds: trusted again as soon as its ERLE crossed 15 dB, the echo of
// seeds 3 and 9 interrupted the bot 5.6 s in (BargeInDetector::kTrustErleHeldMs). Kept, the trust
// outlived a step for as long as the ERLE had reached 15 dB within 500 ms: the echo of seeds 12
// and 18 interrupted the bot 3.9 and 6.6 s in, right after a step took the ERLE from 20 to 8 dB
// (BargeInDetector::kLostErleDb).
import { describe, expect, it } from 'vitest';
import { echoReflections, runBargeIn, RUN_RATE_HZ } from '../../support/barge-in-run.js';
import { botSpeech } from '../../support/bot-speech.js';
import { noise } from '../../support/vad-corpus.js';

interface Step {
  fromSample: number;
  delayMs: number;
}

// A random walk of the delay. Its own LCG, not test/support/seeded-random.ts: the walks of seeds
// 8 and 11 below are the ones measured against the withdrawn double-talk hold (which they fail),
// those of seeds 3 and 9 the ones a trust gained on a crossing ERLE fails, those of seeds 12 and
// 18 (of 20 seeds x 3 walks x -6 and -10 dB) the ones a trust kept through a step fails.
function movingDelay(seed: number, startMs: number, maxStepMs: number, samples: number): Step[] {
  let state = seed;
  const random = (): number => {
    state = (state * 1664525 + 1013904223) % 4294967296;
    return state / 4294967296;
  };
  const steps: Step[] = [{ fromSample: 0, delayMs: startMs }];
  let atS = 0;
  let delayMs = startMs;
  while ((atS += 1.5 + random() * 2.5) * RUN_RATE_HZ < samples) {
    delayMs = Math.max(20, Math.min(290, delayMs + Math.round((random() - 0.5) * 2 * maxStepMs)));
    steps.push({ fromSample: Math.round(atS * RUN_RATE_HZ), delayMs });
  }
  return steps;
}

describe('barge-in over an echo path that moves (canceller on)', () => {
  it('is never interrupted by the echo alone, nor reports it as the caller', () => {
    const bot = botSpeech(12_000);
    const line = noise('white', bot.length).map((x) => Math.round(x / 100)); // about -70 dBFS
    // What the node sends, in a run that is never interrupted: the echo is built from it, and each
    // run below checks it sent the same.
    const sent = runBargeIn(line, bot, { session: { echoCancellation: false, bargeIn: false } }).sent;
    let speechFrames = 0;
    for (const { seed, startMs, maxStepMs, gainDb } of [
      { seed: 8, startMs: 100, maxStepMs: 20, gainDb: -10 },
      { seed: 8, startMs: 150, maxStepMs: 20, gainDb: -6 },
      { seed: 8, startMs: 120, maxStepMs: 8, gainDb: -10 },
      { seed: 11, startMs: 150, maxStepMs: 20, gainDb: -6 },
      { seed: 3, startMs: 150, maxStepMs: 20, gainDb: -6 },
      { seed: 9, startMs: 150, maxStepMs: 20, gainDb: -6 },
      { seed: 9, startMs: 120, maxStepMs: 8, gainDb: -10 },
      { seed: 12, startMs: 150, maxStepMs: 20, gainDb: -6 },
      { seed: 12, startMs: 150, maxStepMs: 20, gainDb: -10 },
      { seed: 18, startMs: 150, maxStepMs: 20, gainDb: -6 },
    ]) {
      const steps = movingDelay(seed, startMs, maxStepMs, line.length);
      const echoed = line.slice();
      let step = 0;
      for (let i = 0; i < echoed.length; i++) {
        while (step + 1 < steps.length && i >= steps[step + 1]!.fromSample) step++;
        let returned = 0;
        for (const { afterMs, gain } of echoReflections) {
          const k = i - Math.round(((steps[step]!.delayMs + afterMs) * RUN_RATE_HZ) / 1000);
          if (k >= 0) returned += gain * 10 ** (gainDb / 20) * sent[k]!;
        }
        echoed[i] = Math.max(-32768, Math.min(32767, Math.round(echoed[i]! + returned)));
      }
      const run = runBargeIn(echoed, bot, { session: { echoCancellation: true } });
      const label = `seed ${seed}, from ${startMs} ms, steps up to ±${maxStepMs} ms, ${gainDb} dB: delays ${steps.map((s) => s.delayMs).join(' ')}`;
      expect(run.echo?.converged, label).toBe(true);
      expect(run.bargeIns.map((b) => b.frame * 20), label).toEqual([]);
      expect(run.speechStarts, label).toEqual([]);
      expect(run.sent, label).toEqual(sent);
      speechFrames += run.speechFrames;
    }
    // The VAD heard the echo the canceller left as speech: the detector's tests, not the VAD,
    // held it off.
    expect(speechFrames).toBeGreaterThan(1000);
  });
});

// Barge-in through the media engine in media time (manual clock, PCM session at 16 kHz): the
// caller's audio is pushed one 20 ms frame per tick while the bot's audio is queued. Then
// speech_started while the bot talks, which barge-in's tests gate (docs/bot-protocol.md).
import { describe, expect, it } from 'vitest';
import { runBargeIn, RUN_FRAME_SAMPLES, RUN_RATE_HZ, type BargeInRunResult } from '../../support/barge-in-run.js';
import { botSpeech } from '../../support/bot-speech.js';
import { corpusInterruptions } from '../../support/corpus-interruption.js';
import { rmsDbfs } from '../../support/signal-metrics.js';
import { cleanSpeech, noise } from '../../support/vad-corpus.js';

const FRAME_MS = 20;
const LEAD_FRAMES = 50; // one second of line hiss before anything happens

// One second of quiet line hiss (about -60 dBFS), then `event`, then hiss again.
function callerLine(event: Int16Array, totalMs = 3000): Int16Array {
  const line = noise('white', (RUN_RATE_HZ / 1000) * totalMs).map((x) => Math.round(x / 100));
  for (let i = 0; i < event.length && LEAD_FRAMES * RUN_FRAME_SAMPLES + i < line.length; i++) {
    line[LEAD_FRAMES * RUN_FRAME_SAMPLES + i]! += event[i]!;
  }
  return line;
}

// The corpus's first utterance, starting at its first labelled speech frame.
function callerSpeech(): Int16Array {
  const corpus = cleanSpeech(20);
  const start = corpus.labels.indexOf(1);
  return corpus.samples.subarray(start * RUN_FRAME_SAMPLES, corpus.utterances[0]!.end);
}

// A 60 ms click: a loud decaying 2 kHz burst.
function click(durationMs: number): Int16Array {
  const samples = (RUN_RATE_HZ / 1000) * durationMs;
  return Int16Array.from({ length: samples }, (_, i) => Math.round(16000 * Math.sin((2 * Math.PI * 2000 * i) / RUN_RATE_HZ) * (1 - i / samples)));
}

// A cough: a 100 ms burst of loud noise with a fast attack and decay.
function cough(durationMs: number): Int16Array {
  const burst = noise('pink', (RUN_RATE_HZ / 1000) * durationMs);
  return burst.map((x, i) => Math.round(x * Math.sin((Math.PI * i) / burst.length)));
}

function sentSamples(run: BargeInRunResult): number {
  return run.sentPerFrame.reduce((sum, n) => sum + n, 0);
}

describe('barge-in', () => {
  const bot = botSpeech(4000);

  it('flushes the bot within the frame once caller speech has lasted the minimum, and reports the position sent', () => {
    const run = runBargeIn(callerLine(callerSpeech()), bot);
    expect(run.bargeIns).toHaveLength(1);
    const [fired] = run.bargeIns;
    // Decision latency in media time: onset at frame LEAD_FRAMES, decided at the end of frame
    // `fired.frame`: at least the 120 ms minimum, at most the minimum + 40 ms.
    const latencyMs = (fired!.frame + 1 - LEAD_FRAMES) * FRAME_MS;
    expect(latencyMs).toBeGreaterThanOrEqual(120);
    expect(latencyMs).toBeLessThanOrEqual(160);
    // The queue is empty from that frame on and not one more bot sample leaves the node.
    expect(run.queuedMsPerFrame[fired!.frame]).toBe(0);
    expect(run.sentPerFrame.slice(fired!.frame).every((n) => n === 0)).toBe(true);
    // The position is the bot audio actually sent, which is exactly the start of the bot's audio.
    const sent = sentSamples(run);
    expect(fired!.playoutMs).toBe((sent * 1000) / RUN_RATE_HZ);
    expect(fired!.playoutMs).toBe(fired!.frame * FRAME_MS);
    expect(run.sent.subarray(0, sent)).toEqual(bot.subarray(0, sent));
    expect(rmsDbfs(run.sent, 0, sent)).toBeGreaterThan(-40);
  });

  it('decides every utterance of the speech corpus within 160 ms of its onset, the bot talking throughout', () => {
    // Synthesised voices share their consonants' waveforms with the bot's: the echo guard took
    // some for echo and held one utterance back to 240 ms (two to 160) until it asked whether the
    // line's level could be echo at all (native/media/echo_level_plausibility.h). Decided in media
    // time: the frame that flushed the bot, counted from the utterance's first speech frame.
    const longBot = botSpeech(10_000);
    const decidedMs = corpusInterruptions(cleanSpeech(FRAME_MS)).map(({ caller, leadFrames }) => {
      const [fired] = runBargeIn(caller, longBot).bargeIns;
      return fired === undefined ? Infinity : (fired.frame + 1 - leadFrames) * FRAME_MS;
    });
    expect(decidedMs).toHaveLength(8);
    for (const ms of decidedMs) {
      expect(ms).toBeGreaterThanOrEqual(120);
      expect(ms).toBeLessThanOrEqual(160);
    }
  });

  it('waits for the configured minimum speech duration', () => {
    const run = runBargeIn(callerLine(callerSpeech()), bot, { session: { bargeInMinSpeechMs: 400 } });
    expect(run.bargeIns).toHaveLength(1);
    const latencyMs = (run.bargeIns[0]!.frame + 1 - LEAD_FRAMES) * FRAME_MS;
    expect(latencyMs).toBeGreaterThanOrEqual(400);
    expect(latencyMs).toBeLessThanOrEqual(440);
  });

  it('does not fire on a 60 ms click or a 100 ms cough, and the bot plays to the end', () => {
    for (const event of [click(60), cough(100)]) {
      const run = runBargeIn(callerLine(event, 5000), bot);
      expect(run.bargeIns).toEqual([]);
      expect(sentSamples(run)).toBeGreaterThanOrEqual(bot.length);
      expect(run.sent.subarray(0, bot.length)).toEqual(bot);
    }
  });

  it('does not fire on the echo of the bot returning on the caller leg (-10 and -20 dB, 40-200 ms)', () => {
    const longBot = botSpeech(20_000);
    const hiss = callerLine(new Int16Array(0), 20_000);
    for (const gainDb of [-10, -20]) {
      for (const delayMs of [40, 200]) {
        // The echo canceller and the guard each hold the echo off; this is the guard on its own.
        const run = runBargeIn(hiss, longBot, { echo: { delayMs, gainDb }, session: { echoCancellation: false } });
        expect(run.bargeIns, `echo ${gainDb} dB, ${delayMs} ms`).toEqual([]);
        // The echo was heard as speech and the guard discounted it (counted in the call's stats).
        expect(run.echoFrames).toBeGreaterThan(100);
      }
    }
    // The same echo with the guard off interrupts the bot: the guard is what stops it.
    const unguarded = runBargeIn(hiss, longBot, { echo: { delayMs: 100, gainDb: -10 }, session: { bargeInEchoGuard: false, echoCancellation: false } });
    expect(unguarded.bargeIns.length).toBeGreaterThan(0);
  });

  it('does not fire on a browser\'s echo, which comes back up to 450 ms late', () => {
    // Measured in test/e2e/echo-barge-in.test.ts: Chromium's jitter buffer starts a call near
    // 150-250 ms, so the echo of a page with 100 ms of audio latency came back 250-480 ms after
    // it left the node, and the first sentence's echo interrupted the bot in 6 of 9 calls.
    const longBot = botSpeech(20_000);
    const hiss = callerLine(new Int16Array(0), 20_000);
    for (const delayMs of [300, 450]) {
      const run = runBargeIn(hiss, longBot, { echo: { delayMs, gainDb: -10 }, session: { echoCancellation: false } });
      expect(run.bargeIns, `echo -10 dB, ${delayMs} ms`).toEqual([]);
      expect(run.echoFrames).toBeGreaterThan(100);
    }
  });

  it('with the echo canceller on, the echo alone neither interrupts nor reads as speech', () => {
    const longBot = botSpeech(20_000);
    const hiss = callerLine(new Int16Array(0), 20_000);
    for (const gainDb of [-6, -10]) {
      for (const delayMs of [40, 200]) {
        const cancelled = runBargeIn(hiss, longBot, { echo: { delayMs, gainDb }, session: { echoCancellation: true } });
        const raw = runBargeIn(hiss, longBot, { echo: { delayMs, gainDb }, session: { echoCancellation: false } });
        expect(cancelled.bargeIns, `echo ${gainDb} dB, ${delayMs} ms`).toEqual([]);
        // The VAD hears far less of the echo as speech once it is cancelled.
        expect(cancelled.speechFrames, `echo ${gainDb} dB, ${delayMs} ms`).toBeLessThan(raw.speechFrames / 3);
        expect(cancelled.echo?.delayMs, 'delay found').toBeGreaterThan(0);
      }
    }
  });

  it('with the echo canceller on, decides a caller talking over the bot and its echo within 180 ms of their onset', () => {
    // The caller at their own level (the corpus's -26 dBFS; the bot speaks at about -19), from
    // 5 s into the bot's answer, once the canceller has converged; the echo returns at -6 and
    // -10 dB after 40 and 200 ms. Latency in media time: the caller's first frame to the end of
    // the frame barge-in fired in.
    const atMs = 5000;
    const longBot = botSpeech(8000);
    const talking = callerLine(new Int16Array(0), 8000);
    const speech = callerSpeech();
    const at = (RUN_RATE_HZ / 1000) * atMs;
    for (let i = 0; i < speech.length && at + i < talking.length; i++) talking[at + i]! += speech[i]!;
    const runs = [-6, -10].flatMap((gainDb) =>
      [40, 200].map((delayMs) => ({
        label: `echo ${gainDb} dB, ${delayMs} ms`,
        run: runBargeIn(talking, longBot, { echo: { delayMs, gainDb }, session: { echoCancellation: true } }),
      })),
    );
    const latencyMs = (run: BargeInRunResult): number | undefined => (run.bargeIns[0] ? (run.bargeIns[0].frame + 1) * FRAME_MS - atMs : undefined);
    console.log(`[barge-in] over echo, canceller on: ${runs.map(({ label, run }) => `${label}: ${latencyMs(run) ?? 'none'} ms`).join('; ')}`);
    // 840 ms on every path when Geigel's test on the raw capture decided alone; 160 ms before the
    // residual suppressor's broadband rule (which takes a loudspeaker's distortion), 180-200 ms
    // with it (its smoothed echo share held the caller's first 20-40 ms at the line's noise);
    // 160-180 ms since a block that holds more than the echo lifts the share at once
    // (measured: 180 / 160 / 160 / 160 ms on -6 dB 40 / 200 ms, -10 dB 40 / 200 ms).
    for (const { label, run } of runs) {
      expect(run.echo?.converged, label).toBe(true);
      expect(run.bargeIns, label).toHaveLength(1);
      expect(latencyMs(run), label).toBeGreaterThanOrEqual(120);
      expect(latencyMs(run), label).toBeLessThanOrEqual(180);
    }
    // A caller 10 dB quieter (17 dB under the bot) too, once the canceller has converged: its
    // output, not the raw capture, is judged against the echo (measured: 220 ms).
    const quiet = callerLine(new Int16Array(0), 8000);
    for (let i = 0; i < speech.length && at + i < quiet.length; i++) quiet[at + i]! += Math.round(speech[i]! / Math.sqrt(10));
    const quietRun = runBargeIn(quiet, longBot, { echo: { delayMs: 200, gainDb: -10 }, session: { echoCancellation: true } });
    expect(quietRun.bargeIns).toHaveLength(1);
    expect(latencyMs(quietRun)).toBeLessThanOrEqual(240);
  });

  it('still fires when the caller talks over the echo', () => {
    const run = runBargeIn(callerLine(callerSpeech()), bot, { echo: { delayMs: 100, gainDb: -20 } });
    expect(run.bargeIns).toHaveLength(1);
    const latencyMs = (run.bargeIns[0]!.frame + 1 - LEAD_FRAMES) * FRAME_MS;
    expect(latencyMs).toBeGreaterThanOrEqual(120);
    expect(latencyMs).toBeLessThanOrEqual(400);
  });

  it('does not fire on steady noise 10 dB below the speech level behind the caller', () => {
    const longBot = botSpeech(20_000);
    for (const kind of ['white', 'pink'] as const) {
      const raw = noise(kind, longBot.length);
      const gain = 10 ** ((-36 - rmsDbfs(raw)) / 20);
      const run = runBargeIn(raw.map((x) => Math.round(x * gain)), longBot);
      expect(run.bargeIns, kind).toEqual([]);
    }
  });

  it('does not fire while the bot is silent', () => {
    const run = runBargeIn(callerLine(callerSpeech()), new Int16Array(0));
    expect(run.bargeIns).toEqual([]);
  });

  it('fires at most once in 20 s of babble 10 dB under the caller before it knows the caller\'s level, never after, and still fires when the caller talks', () => {
    const turn = callerSpeech().slice(0, RUN_RATE_HZ * 3); // the caller's own turn, the bot silent
    const turnFrames = turn.length / RUN_FRAME_SAMPLES;
    const babble = noise('babble', RUN_RATE_HZ * 20);
    const gain = 10 ** ((-36 - rmsDbfs(babble)) / 20); // the corpus speaks at -26 dBFS
    const line = new Int16Array(turn.length + babble.length);
    line.set(turn);
    line.set(babble.map((x) => Math.round(x * gain)), turn.length);
    const longBot = botSpeech(20_000);
    // As the bot's first answer (nothing known of the caller), the babble's spikes never rise far
    // enough over it to fire a run (kMinPeakSnrDb): 6 barge-ins in these 20 s without that test.
    const unknown = runBargeIn(line.subarray(turn.length), longBot, { resumeAfterBargeIn: true });
    expect(unknown.bargeIns.length).toBeLessThanOrEqual(1);
    // After the caller's turn, never.
    const known = runBargeIn(line, longBot, { resumeAfterBargeIn: true, botStartFrame: turnFrames });
    expect(known.bargeIns).toEqual([]);
    // The caller talking over the bot and the babble still interrupts it, before and after their
    // turn. As the first answer measured 300 ms: a thin run of babble frames (counted from -3 dB,
    // never peaking) was open at their onset and took their first frames to be mostly speech again
    // (starting such runs over fixed it here but cost bench/vad 40 ms elsewhere).
    const interruption = callerSpeech();
    const talking = line.slice();
    const at = turn.length + RUN_RATE_HZ * 5;
    for (let i = 0; i < interruption.length; i++) talking[at + i]! += interruption[i]!;
    const latencyMs = (run: BargeInRunResult, atSample: number): number => (run.bargeIns[0]!.frame + 1) * FRAME_MS - atSample / (RUN_RATE_HZ / 1000);
    const real = runBargeIn(talking, longBot, { botStartFrame: turnFrames });
    expect(real.bargeIns).toHaveLength(1);
    expect(latencyMs(real, at)).toBeGreaterThanOrEqual(120);
    expect(latencyMs(real, at)).toBeLessThanOrEqual(300);
    const first = runBargeIn(talking.subarray(turn.length), longBot);
    expect(first.bargeIns).toHaveLength(1);
    expect(latencyMs(first, at - turn.length)).toBeGreaterThanOrEqual(0);
    expect(latencyMs(first, at - turn.length)).toBeLessThanOrEqual(300);
  });
});

describe('speech_started while the bot talks', () => {
  const ECHO_GAIN_DB = -10;
  const ECHO_DELAYS_MS = [100, 200, 300, 450];
  const longBot = botSpeech(12_000);
  const line = callerLine(new Int16Array(0), 14_000);

  // The caller's speech `atMs` into the line.
  function withCallerAt(atMs: number): Int16Array {
    const talking = line.slice();
    const speech = callerSpeech();
    const at = (RUN_RATE_HZ / 1000) * atMs;
    for (let i = 0; i < speech.length; i++) talking[at + i]! += speech[i]!;
    return talking;
  }

  it('is not reported for the echo of the bot alone (-10 dB, 100-450 ms), with the canceller off or on', () => {
    for (const echoCancellation of [false, true]) {
      for (const delayMs of ECHO_DELAYS_MS) {
        const run = runBargeIn(line, longBot, { echo: { delayMs, gainDb: ECHO_GAIN_DB }, session: { echoCancellation } });
        const label = `echo ${ECHO_GAIN_DB} dB, ${delayMs} ms, canceller ${echoCancellation}`;
        // The VAD did hear the echo as speech: the gate, not the VAD, keeps it from the bot. (With
        // the canceller on it hears less of it, as it should: 46 frames on the 200 ms path.)
        expect(run.speechFrames, label).toBeGreaterThan(echoCancellation ? 20 : 50);
        expect(run.speechStarts, label).toEqual([]);
        expect(run.bargeIns, label).toEqual([]);
      }
    }
  });

  it('is reported when the caller talks over the bot and its echo, no later than barge-in', () => {
    const atMs = 5000;
    const atFrame = atMs / FRAME_MS;
    const talking = withCallerAt(atMs);
    for (const delayMs of ECHO_DELAYS_MS) {
      const run = runBargeIn(talking, longBot, { echo: { delayMs, gainDb: ECHO_GAIN_DB }, session: { echoCancellation: false } });
      const label = `echo ${ECHO_GAIN_DB} dB, ${delayMs} ms`;
      expect(run.bargeIns, label).toHaveLength(1);
      expect(run.speechStarts.filter((frame) => frame < atFrame), label).toEqual([]);
      const [first] = run.speechStarts;
      expect(first, label).toBeDefined();
      expect(first!, label).toBeLessThanOrEqual(run.bargeIns[0]!.frame);
      expect((first! + 1 - atFrame) * FRAME_MS, label).toBeLessThanOrEqual(400);
      // The report came after the barge-in tests' minimum of speech, and says so (speechMs), so
      // a bot recording the caller keeps the words that came before it.
      expect(run.speechStartLeadsMs[0]!, label).toBeGreaterThanOrEqual(120);
    }
  });

  it('is reported at the VAD onset, as before, when the bot is silent', () => {
    expect(runBargeIn(line, new Int16Array(0)).speechStarts).toEqual([]);
    const run = runBargeIn(callerLine(callerSpeech()), new Int16Array(0));
    const onset = run.speechStarts[0]!;
    expect(run.speechStartLeadsMs[0]).toBe(FRAME_MS);
    expect(onset).toBeGreaterThanOrEqual(LEAD_FRAMES);
    expect(onset).toBeLessThanOrEqual(LEAD_FRAMES + 2);
  });
});

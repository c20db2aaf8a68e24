// Drives one PCM media session in media time (manual clock): the bot's audio is queued, the
// caller's audio is pushed one 20 ms frame per tick, optionally with an echo of what the node
// actually sent (delayed, attenuated), and every barge-in is recorded with the frame it fired in.
import { MediaEngine } from '../../engine/media/media-engine.js';
import type { NativeSessionStats } from '../../engine/media/media-engine-binding.js';
import type { PcmSessionOptions } from '../../engine/media/media-session-options.js';

export const RUN_RATE_HZ = 16000;
const FRAME_MS = 20;
export const RUN_FRAME_SAMPLES = (RUN_RATE_HZ / 1000) * FRAME_MS;
const START_US = 1_000_000;

// The echo is not a clean copy: it goes through a short multi-path response (a handset and a
// room: the direct path and three reflections), which is what a correlation guard must survive.
export const echoReflections: readonly { afterMs: number; gain: number }[] = [
  { afterMs: 0, gain: 1 },
  { afterMs: 3, gain: -0.5 },
  { afterMs: 8, gain: 0.3 },
  { afterMs: 15, gain: -0.2 },
];

export interface EchoPath {
  delayMs: number;
  gainDb: number;
}

export interface BargeInRunOptions {
  session?: Omit<PcmSessionOptions, 'botRateHz' | 'legRateHz'>;
  echo?: EchoPath;
  // After a barge-in, queue the rest of the bot's audio again (to count false barge-ins over a
  // long run); otherwise the bot stays quiet after the first.
  resumeAfterBargeIn?: boolean;
  // The bot's audio is queued at this frame (0: from the start); before it, the caller has the
  // line to themselves (their own turn).
  botStartFrame?: number;
}

export interface BargeIn {
  // Index of the 20 ms frame during which it fired: caller samples [frame, frame + 1) * 320.
  frame: number;
  // Bot audio the session reports as played, and what the run saw leave the node.
  playoutMs: number;
  sentMs: number;
}

export interface BargeInRunResult {
  bargeIns: BargeIn[];
  // Frames in which the session reported the caller starting to speak (speech_started).
  speechStarts: number[];
  // Each speech_started's speechMs: the caller's speech (as the VAD heard it) before the report.
  speechStartLeadsMs: number[];
  // Bot samples sent in each frame (0 or 320) and the queue left after each frame's tick.
  sentPerFrame: number[];
  queuedMsPerFrame: number[];
  // Everything the node sent toward the caller, one frame per tick (zeros when it sent nothing).
  sent: Int16Array;
  // Caller speech frames the echo guard took for the bot's echo.
  echoFrames: number;
  // Frames the VAD called speech (with hangover), and the echo canceller's stats when it ran.
  speechFrames: number;
  echo?: NativeSessionStats['echo'];
}

export function runBargeIn(caller: Int16Array, bot: Int16Array, options: BargeInRunOptions = {}): BargeInRunResult {
  const engine = new MediaEngine({ clock: 'manual' });
  // Barge-in's own logic, without echo cancellation unless the run asks for it (the canceller's
  // path has its own tests: echo-cancellation.test.ts).
  const session = engine.createPcmSession('barge-in-run', { echoCancellation: false, ...options.session, botRateHz: RUN_RATE_HZ, legRateHz: RUN_RATE_HZ }, START_US);
  const frames = Math.floor(caller.length / RUN_FRAME_SAMPLES);
  const sent = new Int16Array(frames * RUN_FRAME_SAMPLES);
  const result: BargeInRunResult = { bargeIns: [], speechStarts: [], speechStartLeadsMs: [], sentPerFrame: [], queuedMsPerFrame: [], sent, echoFrames: 0, speechFrames: 0 };
  const echo = options.echo;
  const taps = echoReflections.map(({ afterMs, gain }) => ({
    delay: Math.round((((echo?.delayMs ?? 0) + afterMs) * RUN_RATE_HZ) / 1000),
    gain: gain * 10 ** ((echo?.gainDb ?? 0) / 20),
  }));
  let sentSamples = 0;
  let botOffset = 0;
  let frame = 0;
  session.on('bargeIn', (playoutMs) => {
    result.bargeIns.push({ frame, playoutMs, sentMs: (sentSamples * 1000) / RUN_RATE_HZ });
    if (options.resumeAfterBargeIn) {
      botOffset += Math.round((playoutMs * RUN_RATE_HZ) / 1000);
      session.play(bot.subarray(Math.min(botOffset, bot.length)));
    }
  });
  session.on('speechStarted', (speechMs: number) => {
    result.speechStarts.push(frame);
    result.speechStartLeadsMs.push(speechMs);
  });
  const botStartFrame = options.botStartFrame ?? 0;
  try {
    for (frame = 0; frame < frames; frame++) {
      if (frame === botStartFrame) session.play(bot);
      const start = frame * RUN_FRAME_SAMPLES;
      const input = caller.slice(start, start + RUN_FRAME_SAMPLES);
      if (echo) {
        for (let i = 0; i < RUN_FRAME_SAMPLES; i++) {
          let returned = 0;
          for (const tap of taps) returned += start + i >= tap.delay ? tap.gain * sent[start + i - tap.delay]! : 0;
          input[i] = Math.max(-32768, Math.min(32767, Math.round(input[i]! + returned)));
        }
      }
      session.pushCallerPcm(input);
      engine.tick(START_US + frame * FRAME_MS * 1000);
      const out = session.takeOutboundPcm();
      sent.set(out.subarray(0, RUN_FRAME_SAMPLES), start);
      sentSamples += out.length;
      result.sentPerFrame.push(out.length);
      result.queuedMsPerFrame.push(session.queuedMs);
    }
    const stats = session.stats();
    result.echoFrames = stats.echoFrames;
    result.speechFrames = stats.speechFrames;
    result.echo = stats.echo;
  } finally {
    engine.stop();
  }
  return result;
}

// What echo cancellation adds to a whole G.711 call, measured side by side in one run: the load
// bench's media-only PCMU calls (bench/load/media-only-call.ts) in one process on a manual clock,
// each call fed an echo trace (its capture as the caller's PCMU packets, its sent audio as what the
// bot plays), all with the canceller off, then all with it on, in paired rounds (pcmuCallCpu). The
// calls' frames alone are timed, not their set-up, in CPU time (this process's: the native tick,
// the engine's JS and the bot's side alike).
import alawmulaw from 'alawmulaw';
import { FRAME_MS } from '../../engine/media/frame.js';
import { MediaEngine } from '../../engine/media/media-engine.js';
import type { MediaSession } from '../../engine/media/media-session.js';
import { Resampler } from '../../engine/native/resampler.js';
import { splitFrames } from '../frames.js';
import { BOT_RATE_HZ } from '../load/load-step.js';
import { CALL_OFFSET_FRAMES, callerPacket, createMediaOnlyCall, frameStartUs } from '../load/media-only-call.js';
import { round2 } from '../side-by-side.js';
import { botTalksInConversation, type EchoTrace } from './echo-traces.js';

const PCMU_RATE_HZ = 8000;
const PCMU_FRAME_SAMPLES = (PCMU_RATE_HZ / 1000) * FRAME_MS;
const CALLER_SSRC = 0x1000;

// One call's audio, at the leg's 8 kHz.
export interface CallAudio {
  // The caller's line as it reaches the node (the echo, and the caller when they talk).
  capture: Int16Array;
  // What the bot says; it plays a frame only while `botTalks(frame)` (a bot sends nothing between
  // its turns, and a streaming TTS sends its pauses as silence).
  sent: Int16Array;
  botTalks: (frame: number) => boolean;
}

export interface PreparedCall {
  packets: Uint8Array[];
  // At the bot's rate; undefined where the bot plays nothing.
  botFrames: Array<Int16Array | undefined>;
}

export interface CallsRun {
  usPerFrame: number;
  // Frames run times calls.
  callFrames: number;
  // With the canceller on: the calls whose canceller converged by the end.
  convergedCalls: number;
}

export interface PcmuCallCpu {
  us_per_frame_canceller_off: number;
  us_per_frame_canceller_on: number;
  canceller_on_over_off: number;
  converged_calls: number;
  calls: number;
}

// A trace as a call whose bot talks all along.
export const botAllAlong = (trace: EchoTrace): CallAudio => ({ capture: trace.capture, sent: trace.sent, botTalks: () => true });

// `count` calls of the conversation (echo-traces.ts), each from its own point of it.
export function conversationCalls(conversation: EchoTrace, count: number): CallAudio[] {
  const call: CallAudio = { capture: conversation.capture, sent: conversation.sent, botTalks: botTalksInConversation };
  return Array.from({ length: count }, (_, i) => rotated(call, i * CALL_OFFSET_FRAMES));
}

// Packets and bot frames made once, outside every timed run.
export function prepareCall(audio: CallAudio, ssrc = CALLER_SSRC): PreparedCall {
  const payloads = splitFrames(audio.capture, PCMU_FRAME_SAMPLES).map((frame) => alawmulaw.mulaw.encode(frame));
  const bot = splitFrames(new Resampler(PCMU_RATE_HZ, BOT_RATE_HZ).process(audio.sent), (BOT_RATE_HZ / 1000) * FRAME_MS);
  const frames = Math.min(payloads.length, bot.length);
  return {
    packets: payloads.slice(0, frames).map((payload, frame) => callerPacket('PCMU', frame, ssrc, payload)),
    botFrames: bot.slice(0, frames).map((frame, index) => (audio.botTalks(index) ? frame : undefined)),
  };
}

// Calls on streams of their own.
export const prepareCalls = (audios: readonly CallAudio[]): PreparedCall[] => audios.map((audio, i) => prepareCall(audio, CALLER_SSRC + i));

// The same audio starting `frames` frames later (wrapping round), so calls made of one trace do not
// talk in unison.
export function rotated(audio: CallAudio, frames: number): CallAudio {
  const samples = PCMU_FRAME_SAMPLES * frames;
  const rotate = (pcm: Int16Array): Int16Array => Int16Array.from({ length: pcm.length }, (_, i) => pcm[(i + samples) % pcm.length]!);
  const total = Math.floor(audio.sent.length / PCMU_FRAME_SAMPLES);
  return { capture: rotate(audio.capture), sent: rotate(audio.sent), botTalks: (frame) => audio.botTalks((frame + frames) % total) };
}

// Every call over all its frames in one engine; `heard` gets what each call's bot is handed.
export function runCalls(calls: readonly PreparedCall[], echoCancellation: boolean, heard?: (call: number, pcm: Int16Array) => void): CallsRun {
  const engine = new MediaEngine({ clock: 'manual' });
  // The packets a call sends would go to a socket: the node's cost ends at handing them over.
  const sessions: MediaSession[] = calls.map((_, i) => createMediaOnlyCall(engine, `echo-cpu-${i}`, 'PCMU', () => undefined, echoCancellation));
  if (heard) sessions.forEach((session, i) => session.on('audio', (pcm: Int16Array) => heard(i, pcm)));
  const frames = Math.min(...calls.map((call) => call.packets.length));
  const started = process.cpuUsage();
  for (let frame = 0; frame < frames; frame++) {
    const nowUs = frameStartUs(frame);
    for (let i = 0; i < calls.length; i++) {
      const bot = calls[i]!.botFrames[frame];
      if (bot !== undefined) sessions[i]!.play(bot);
      sessions[i]!.ingest(calls[i]!.packets[frame]!, nowUs);
    }
    engine.tick(nowUs);
  }
  const used = process.cpuUsage(started);
  const convergedCalls = sessions.filter((session) => session.stats().echo?.converged === true).length;
  engine.stop();
  const callFrames = frames * calls.length;
  return { usPerFrame: (used.user + used.system) / callFrames, callFrames, convergedCalls };
}

// `rounds` runs with the canceller off and as many with it on, interleaved (the order swapped every
// round), each round's pair taken together: its ratio is of two runs a moment apart, which a slow
// stretch of the machine slows alike. The median round counts (the least of each side paired one
// lucky run with another's ordinary one: the conversation read 1.15 to 1.51 in four runs of one
// build within an hour).
export function pcmuCallCpu(audios: readonly CallAudio[], rounds: number): PcmuCallCpu {
  const calls = prepareCalls(audios);
  const pairs: Array<{ off: number; on: number }> = [];
  let convergedCalls = 0;
  for (let round = 0; round < rounds; round++) {
    const pair = { off: 0, on: 0 };
    for (const echoCancellation of round % 2 === 0 ? [false, true] : [true, false]) {
      const run = runCalls(calls, echoCancellation);
      if (echoCancellation) {
        pair.on = run.usPerFrame;
        convergedCalls = run.convergedCalls;
      } else {
        pair.off = run.usPerFrame;
      }
    }
    pairs.push(pair);
  }
  pairs.sort((a, b) => a.on / a.off - b.on / b.off);
  const { off, on } = pairs[Math.floor(pairs.length / 2)]!;
  return {
    us_per_frame_canceller_off: round2(off),
    us_per_frame_canceller_on: round2(on),
    canceller_on_over_off: round2(on / off),
    converged_calls: convergedCalls,
    calls: calls.length,
  };
}

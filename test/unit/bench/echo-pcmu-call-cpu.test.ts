// The echo bench's G.711 calls (bench/echo/pcmu-call-cpu.ts): the two sides of its CPU ratio are
// the same calls over the same audio, one without the canceller and one with it working.
import { describe, expect, it } from 'vitest';
import { benchTrace } from '../../../bench/echo/echo-traces.js';
import { pcmuCallCpu, prepareCall, rotated, runCalls, type CallAudio } from '../../../bench/echo/pcmu-call-cpu.js';

const BOT_FRAME_SAMPLES = 320;
// The bot's echo, measured once every canceller has converged.
const FROM_FRAME = 250;

function heardEnergy(calls: ReturnType<typeof prepareCall>[], echoCancellation: boolean): { energy: number; frames: number; converged: number } {
  let energy = 0;
  const frames = calls.map(() => 0);
  const run = runCalls(calls, echoCancellation, (call, pcm) => {
    if (frames[call]!++ < FROM_FRAME) return;
    for (const x of pcm) energy += x * x;
  });
  return { energy, frames: frames.reduce((a, b) => a + b, 0), converged: run.convergedCalls };
}

describe('the echo bench G.711 calls', () => {
  const trace = benchTrace(0);
  const audio: CallAudio = { capture: trace.capture, sent: trace.sent, botTalks: () => true };

  it('hand the bot the echo over 20 dB quieter with the canceller on than off, over the same audio', () => {
    const calls = [prepareCall(audio)];
    const off = heardEnergy(calls, false);
    const on = heardEnergy(calls, true);
    expect(on.frames).toBe(off.frames);
    expect(off.frames).toBeGreaterThan(calls[0]!.packets.length - 5);
    expect(on.converged).toBe(1);
    expect(off.converged).toBe(0);
    expect(10 * Math.log10(off.energy / on.energy)).toBeGreaterThan(20);
  });

  it('play the bot only in its turns, at the bot rate', () => {
    const call = prepareCall({ ...audio, botTalks: (frame) => frame % 3 === 0 });
    expect(call.botFrames.length).toBe(call.packets.length);
    call.botFrames.forEach((frame, index) => {
      if (index % 3 === 0) expect(frame?.length).toBe(BOT_FRAME_SAMPLES);
      else expect(frame).toBeUndefined();
    });
  });

  it('start a rotated call later in the same audio, its turns with it', () => {
    const turns: CallAudio = { ...audio, botTalks: (frame) => frame >= 10 && frame < 20 };
    const later = rotated(turns, 7);
    expect(Array.from(later.capture.subarray(0, 160))).toEqual(Array.from(trace.capture.subarray(7 * 160, 8 * 160)));
    expect(Array.from(later.sent.subarray(0, 160))).toEqual(Array.from(trace.sent.subarray(7 * 160, 8 * 160)));
    expect([2, 3, 12, 13].map(later.botTalks)).toEqual([false, true, true, false]);
    // Wrapping round: the last frames of the rotated audio are the first of the original.
    const frames = trace.sent.length / 160;
    expect(Array.from(later.capture.subarray((frames - 7) * 160, (frames - 6) * 160))).toEqual(Array.from(trace.capture.subarray(0, 160)));
  });

  it('report the call with the canceller over the call without it', () => {
    const short: CallAudio = { capture: trace.capture.subarray(0, 8000 * 4), sent: trace.sent.subarray(0, 8000 * 4), botTalks: () => true };
    const cpu = pcmuCallCpu([short, rotated(short, 37)], 2);
    expect(cpu.calls).toBe(2);
    expect(cpu.us_per_frame_canceller_off).toBeGreaterThan(0);
    expect(cpu.canceller_on_over_off).toBeCloseTo(cpu.us_per_frame_canceller_on / cpu.us_per_frame_canceller_off, 1);
  });
});

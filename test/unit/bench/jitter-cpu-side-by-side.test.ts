// The jitter bench's CPU comparison (bench/jitter/cpu-side-by-side.ts): the players it times tick
// by tick play what runSpeech plays, and its result is the median round's, in both modes.
import { describe, expect, it } from 'vitest';
import { cpuSideBySide } from '../../../bench/jitter/cpu-side-by-side.js';
import { planSpeech, runSpeech, SpeechPlayer } from '../../../bench/jitter/speech-run.js';
import { generateTrace } from '../../support/network-impairment.js';

const trace = generateTrace({ name: 'cpu-side-by-side', seed: 7, durationS: 6, jitter: { kind: 'gaussian', sigmaMs: 5 }, spikes: { everyS: 3, heightMs: 300 } });
const plan = planSpeech(trace, 1);

describe('jitter bench CPU side by side', () => {
  it('steps a player through the same packets and ticks as a whole run', () => {
    for (const timeStretch of [true, false]) {
      const player = new SpeechPlayer(plan, timeStretch);
      for (let nowUs = SpeechPlayer.startUs; nowUs <= player.endUs; nowUs += SpeechPlayer.tickUs) {
        player.ingestDue(nowUs);
        player.tick(nowUs);
      }
      const stepped = player.session.stats().jitter!;
      player.stop();
      const whole = runSpeech(plan, timeStretch);
      expect(stepped).toEqual(whole.stats);
      expect(player.durationS).toBe(whole.durationS);
      // The spikes make the two modes differ: each player ran its own mode.
      expect(stepped.accelerate > 0).toBe(timeStretch);
    }
  });

  it('reports the median round: both modes measured, the ratio theirs', () => {
    const cpu = cpuSideBySide(plan, 3);
    expect(cpu.rounds).toBe(3);
    expect(cpu.new_us_per_call_second).toBeGreaterThan(0);
    expect(cpu.previous_us_per_call_second).toBeGreaterThan(0);
    expect(cpu.ratio).toBeCloseTo(cpu.new_us_per_call_second / cpu.previous_us_per_call_second, 1);
    expect(cpu.method).toMatch(/median/);
  });
});

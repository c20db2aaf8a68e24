// The CPU per call-second of the two jitter-buffer modes (time stretching, new; whole frames,
// previous) on one trace, side by side in one process, measured so that neither side pays for the
// other's garbage or for the machine's other load:
// - the two sessions play in lock step, tick by tick, each tick's ingest and tick timed in CPU
//   time, the side that goes first swapped every tick. Timed run by run instead (the old bench:
//   new then previous, three times, the least of each), a major garbage collection, with the
//   finalizers that free the last run's native session, landed in whichever run crossed the heap's
//   threshold: under callgrind one cost 130 M instructions against the 78 M of the run it fell in,
//   and in a fixed order it fell on the same side round after round (the bench read 1.51 where
//   the instruction counts say 1.06). Interleaved, a collection or a burst of the machine's other
//   load (and a VM's stolen time, which counts as ours) falls on one tick of either side;
// - a first round discarded (compilation, first touch of the sessions' memory);
// - the median round's ratio, so a round that a collection did fall in does not count.
// No collection is forced between rounds: V8 sweeps after gc() on its own threads, into the
// first ticks timed, and the ratio rose from 1.01-1.04 to 1.06-1.22 (six runs each, spike trace).
import { round2 } from '../side-by-side.js';
import { SpeechPlayer, type SpeechPlan } from './speech-run.js';

export interface CpuSideBySide {
  new_us_per_call_second: number;
  previous_us_per_call_second: number;
  ratio: number; // new over previous, of the median round
  rounds: number;
  method: string;
}

const CPU_METHOD =
  "median of the rounds' new/previous ratios; in each round both modes play the same packets in lock step, every tick's ingest+tick timed in process CPU time, the side first swapped every tick; one warm-up round discarded";

function cpuUs(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

// One round: CPU µs per call-second of each mode.
function round(plan: SpeechPlan): { stretched: number; previous: number } {
  const players = [new SpeechPlayer(plan, true), new SpeechPlayer(plan, false)] as const;
  const used = [0, 0];
  let tick = 0;
  for (let nowUs = SpeechPlayer.startUs; nowUs <= players[0].endUs; nowUs += SpeechPlayer.tickUs, tick++) {
    for (let k = 0; k < 2; k++) {
      const side = (k + tick) % 2;
      const before = cpuUs();
      players[side]!.ingestDue(nowUs);
      players[side]!.tick(nowUs);
      used[side] += cpuUs() - before;
    }
  }
  for (const player of players) player.stop();
  return { stretched: used[0]! / players[0].durationS, previous: used[1]! / players[1].durationS };
}

export function cpuSideBySide(plan: SpeechPlan, rounds: number): CpuSideBySide {
  round(plan);
  const measured = Array.from({ length: rounds }, () => round(plan));
  measured.sort((a, b) => a.stretched / a.previous - b.stretched / b.previous);
  const median = measured[Math.floor(rounds / 2)]!;
  return {
    new_us_per_call_second: Math.round(median.stretched),
    previous_us_per_call_second: Math.round(median.previous),
    ratio: round2(median.stretched / median.previous),
    rounds,
    method: CPU_METHOD,
  };
}

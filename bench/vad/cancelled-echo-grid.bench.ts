// Barge-in over a cancelled echo on a grid (issue 17: the decision within 160 ms): each of the
// speech corpus's 8 utterances interrupts the bot's answer at 4 start times over 4 echo paths,
// the echo canceller on, over -65 dBFS line hiss (test/support/cancelled-echo-interruption.ts).
// vad.bench.ts's canceller row is one path at one start time; the grid is what showed the stalls
// it does not (docs/echo-cancellation.md, "Barge-in decision time").
import type { EchoPath } from '../../test/support/barge-in-run.js';
import { cancelledEchoInterruption } from '../../test/support/cancelled-echo-interruption.js';
import { cleanSpeech } from '../../test/support/vad-corpus.js';

const PATHS: readonly EchoPath[] = [
  { gainDb: -6, delayMs: 40 },
  { gainDb: -6, delayMs: 200 },
  { gainDb: -10, delayMs: 100 },
  { gainDb: -10, delayMs: 300 },
];
const START_MS: readonly number[] = [3000, 4000, 5000, 7000];
const GOAL_MS = 160;

export async function run(): Promise<Record<string, unknown>> {
  const utterances = cleanSpeech().utterances.length;
  const rows = [];
  for (const path of PATHS) {
    for (const startMs of START_MS) {
      for (let utterance = 0; utterance < utterances; utterance++) {
        rows.push({ echo_gain_db: path.gainDb, echo_delay_ms: path.delayMs, start_ms: startMs, utterance, decided_ms: cancelledEchoInterruption(path, startMs, utterance) });
      }
    }
  }
  const decided = rows.flatMap((row) => (row.decided_ms === null ? [] : [row.decided_ms])).sort((a, b) => a - b);
  const middle = Math.floor(decided.length / 2);
  const slow = rows.filter((row) => row.decided_ms === null || row.decided_ms > GOAL_MS);
  return {
    cancelled_echo_grid: {
      cases: rows.length,
      goal_ms: GOAL_MS,
      over_goal: slow.length,
      undecided: rows.length - decided.length,
      median_ms: decided.length % 2 === 1 ? decided[middle]! : (decided[middle - 1]! + decided[middle]!) / 2,
      max_ms: decided[decided.length - 1]!,
      // Over the goal, each case as [gain dB, delay ms, start ms, utterance, decided ms or null].
      slow: slow.map((row) => [row.echo_gain_db, row.echo_delay_ms, row.start_ms, row.utterance, row.decided_ms]),
    },
  };
}

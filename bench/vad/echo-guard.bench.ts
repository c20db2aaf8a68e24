// False barge-ins caused by the bot's own audio returning on the caller's leg: the node's actual
// output, delayed and attenuated, is added to a silent (or lightly noisy) caller line, in media
// time through the media engine, for one minute per echo path.
import { runBargeIn } from '../../test/support/barge-in-run.js';
import { botSpeech } from '../../test/support/bot-speech.js';
import { noise } from '../../test/support/vad-corpus.js';

const RUN_MS = 60_000;

export async function run(): Promise<Record<string, unknown>> {
  const bot = botSpeech(RUN_MS);
  const lineNoise = noise('white', bot.length).map((x) => Math.round(x / 100)); // ≈ -60 dBFS hiss
  const rows = [];
  const perMinute = (count: number): number => (count * 60_000) / RUN_MS;
  for (const gainDb of [-10, -20]) {
    for (const delayMs of [40, 100, 200]) {
      const echo = { delayMs, gainDb };
      const guarded = runBargeIn(lineNoise, bot, { echo, resumeAfterBargeIn: true });
      const unguarded = runBargeIn(lineNoise, bot, { echo, resumeAfterBargeIn: true, session: { bargeInEchoGuard: false } });
      rows.push({
        echo_gain_db: gainDb,
        echo_delay_ms: delayMs,
        false_bargeins_per_min: perMinute(guarded.bargeIns.length),
        without_guard_per_min: perMinute(unguarded.bargeIns.length),
      });
    }
  }
  return {
    echo_guard: {
      method: 'normalised cross-correlation of 60 ms caller windows with the last 240 ms of sent audio (4 kHz), threshold 0.7',
      echo_path: 'node output delayed, attenuated, through a 4-path response (0, 3, 8, 15 ms), over -60 dBFS line hiss',
      run_ms: RUN_MS,
      rows,
    },
  };
}

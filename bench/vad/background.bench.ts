// False barge-ins caused by what is behind the caller: one minute of white, pink or babble noise
// on the caller's line, 10 dB below the caller's speech level (-26 dBFS), while the bot talks, in
// media time through the media engine. After each barge-in the bot resumes, so the count is how
// often the bot would be cut off.
import { runBargeIn } from '../../test/support/barge-in-run.js';
import { botSpeech } from '../../test/support/bot-speech.js';
import { rmsDbfs } from '../../test/support/signal-metrics.js';
import { noise, noiseKinds } from '../../test/support/vad-corpus.js';

const RUN_MS = 60_000;
const BACKGROUND_DBFS = -36;

export async function run(): Promise<Record<string, unknown>> {
  const bot = botSpeech(RUN_MS);
  const rows = noiseKinds.map((kind) => {
    const raw = noise(kind, bot.length);
    const gain = 10 ** ((BACKGROUND_DBFS - rmsDbfs(raw)) / 20);
    const line = raw.map((x) => Math.round(x * gain));
    const run = runBargeIn(line, bot, { resumeAfterBargeIn: true });
    return { noise: kind, level_dbfs: BACKGROUND_DBFS, false_bargeins_per_min: (run.bargeIns.length * 60_000) / RUN_MS };
  });
  return { background_noise_bargeins: { run_ms: RUN_MS, rows } };
}

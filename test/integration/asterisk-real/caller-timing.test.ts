// What real Asterisk does to the RTP it sends Parley when the audio it carries is not one steady
// stream: after a pause of 100 ms or more it restarts its timestamps from the wall clock with the
// marker bit set, and a played file ends on a short frame. None of that may lose audio.
// (Depends on the jitter buffer's handling of timestamp steps: issue 12, bug 1.)
import { describe, expect, it } from 'vitest';
import { speechMatch } from '../../support/asterisk/audio-checks.js';
import { until } from '../../support/asterisk/parley-pbx.js';
import { realAsteriskPerFile } from '../../support/asterisk/real-pbx.js';
import { renderSpeech } from '../../support/speech.js';

const PHRASE = 'Please check my order.';
const SECOND = 'It was sent last week.';

// `parts` at `rateHz` with `gapMs` of silence between them.
function withGaps(parts: Int16Array[], gapMs: number, rateHz: number): Int16Array {
  const gap = (rateHz * gapMs) / 1000;
  const out = new Int16Array(parts.reduce((sum, part) => sum + part.length, 0) + gap * (parts.length - 1));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length + gap;
  }
  return out;
}

describe('real Asterisk: pauses, back-to-back files, silence', () => {
  const env = realAsteriskPerFile();

  it('a caller pausing 140 ms between phrases: the bot hears all three', async () => {
    const parley = await env.parley();
    const caller = await env.dial();
    const bot = await parley.bots.started(0);
    const phrase = renderSpeech(PHRASE, { rateHz: 8000 });
    for (let i = 0; i < 3; i++) {
      if (i > 0) await caller.pause(140);
      await caller.say(phrase);
    }
    await until(() => bot.frames.length >= 50 * 4, 'the whole utterance at the bot');
    // Each phrase on its own alignment, searched from the end of the one before: the pauses are
    // timed by this process's timers on a loaded machine and the jitter buffer may shorten
    // silence, so the three need not sit at one lag; a lost phrase still scores near 0, since the
    // search (600 ms) can't reach the next one.
    const reference = renderSpeech(PHRASE, { rateHz: 16000 });
    const heard = bot.heard();
    const matches: Array<ReturnType<typeof speechMatch>> = [];
    for (let from = 0; matches.length < 3; ) {
      const match = speechMatch(reference, heard.subarray(from), 16000);
      matches.push(match);
      from += Math.round((match.lagMs * 16000) / 1000) + reference.length;
    }
    console.info(`[asterisk-real] pauses of 140 ms: ${matches.map((m) => `${(m.matched * 100).toFixed(0)} %`).join(', ')} of blocks matched, correlations ${matches.map((m) => m.correlation.toFixed(2)).join(', ')}`);
    for (const match of matches) expect(match.matched).toBeGreaterThan(0.9);
  });

  it('a caller silent (no RTP) for 3 s, then talking: the bot hears what follows', async () => {
    const parley = await env.parley();
    const caller = await env.dial();
    const bot = await parley.bots.started(0);
    await caller.say(renderSpeech(PHRASE, { rateHz: 8000 }));
    await caller.pause(3000);
    const framesBefore = bot.frames.length;
    await caller.say(renderSpeech(SECOND, { rateHz: 8000 }));
    await until(() => bot.frames.length >= framesBefore + 150, 'three seconds more at the bot');
    const match = speechMatch(renderSpeech(SECOND, { rateHz: 16000 }), bot.heard().subarray(framesBefore * 320), 16000);
    console.info(`[asterisk-real] after 3 s without RTP: correlation ${match.correlation.toFixed(2)}, ${(match.matched * 100).toFixed(0)} % of blocks matched`);
    expect(match.matched).toBeGreaterThan(0.9);
  });

  it('two files played back to back by Asterisk (Playback(first&second)): the bot hears both', async () => {
    const parley = await env.parley();
    env.asterisk.writeSound('first', renderSpeech(PHRASE, { rateHz: 8000 }));
    env.asterisk.writeSound('second', renderSpeech(SECOND, { rateHz: 8000 }));
    // A Local channel: its ;1 half runs Stasis(parley) in parley-bot, its ;2 half plays the files.
    const originate = await env.asterisk.ariRequest('POST', '/channels?endpoint=Local/7000@parley-bot&context=playback-caller&extension=7101&priority=1');
    expect(originate.status).toBe(200);
    const bot = await parley.bots.started(0);
    // The dialplan plays the files once the bot is attached and its audio flows.
    await until(() => bot.frames.length > 0, 'the first frame at the bot');
    const framesBefore = bot.frames.length;
    expect((await env.asterisk.ariRequest('POST', '/asterisk/variable?variable=PARLEY_BOT_READY&value=1')).status).toBe(204);
    const total = renderSpeech(PHRASE, { rateHz: 16000 }).length + renderSpeech(SECOND, { rateHz: 16000 }).length;
    await until(() => (bot.frames.length - framesBefore) * 320 >= total + 16000, 'both files at the bot');
    const reference = withGaps([renderSpeech(PHRASE, { rateHz: 16000 }), renderSpeech(SECOND, { rateHz: 16000 })], 0, 16000);
    const match = speechMatch(reference, bot.heard().subarray(framesBefore * 320), 16000, 1500);
    console.info(`[asterisk-real] back-to-back files: correlation ${match.correlation.toFixed(2)}, ${(match.matched * 100).toFixed(0)} % of blocks matched`);
    expect(match.matched).toBeGreaterThan(0.9);
  });
});

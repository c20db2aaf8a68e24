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
    const reference = withGaps(Array.from({ length: 3 }, () => renderSpeech(PHRASE, { rateHz: 16000 })), 140, 16000);
    const match = speechMatch(reference, bot.heard(), 16000);
    console.info(`[asterisk-real] pauses of 140 ms: correlation ${match.correlation.toFixed(2)}, ${(match.matched * 100).toFixed(0)} % of blocks matched`);
    expect(match.matched).toBeGreaterThan(0.9);
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
    const total = renderSpeech(PHRASE, { rateHz: 16000 }).length + renderSpeech(SECOND, { rateHz: 16000 }).length;
    await until(() => bot.frames.length * 320 >= total + 16000, 'both files at the bot');
    const reference = withGaps([renderSpeech(PHRASE, { rateHz: 16000 }), renderSpeech(SECOND, { rateHz: 16000 })], 0, 16000);
    const match = speechMatch(reference, bot.heard(), 16000, 1500);
    console.info(`[asterisk-real] back-to-back files: correlation ${match.correlation.toFixed(2)}, ${(match.matched * 100).toFixed(0)} % of blocks matched`);
    expect(match.matched).toBeGreaterThan(0.9);
  });
});

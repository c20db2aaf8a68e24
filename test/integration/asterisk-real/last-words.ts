// A chan_websocket bot that hangs up right after its last words: the clip ends on a 400 ms tone,
// and what is measured is how much of that tone the caller heard before the BYE.
import { expect } from 'vitest';
import { toneSnrDb } from '../../support/asterisk/audio-checks.js';
import { finishedCalls } from '../../support/asterisk/parley-pbx.js';
import { expectNothingLeft, type RealPbxEnv } from '../../support/asterisk/real-pbx.js';
import { renderSpeech } from '../../support/speech.js';
import { sine } from '../../support/test-signals.js';
import { BOT_TEXT } from './transport-check.js';

export const TAIL_MS = 400;
const TAIL_HZ = 700;

export async function lastWordsHeardMs(env: RealPbxEnv): Promise<number> {
  const speech = renderSpeech(BOT_TEXT, { rateHz: 16000 });
  const clip = new Int16Array(speech.length + (16000 * TAIL_MS) / 1000);
  clip.set(speech);
  clip.set(sine((16000 * TAIL_MS) / 1000, 16000, TAIL_HZ, 8000), speech.length);
  const parley = await env.parley({ config: { transport: 'websocket' }, botSays: clip, botHangsUp: true });
  const done = finishedCalls(parley.adapter, 1);
  const caller = await env.dial();
  await caller.remoteHangup;
  await done;
  expect(parley.bots.bots[0]!.stopReason).toBe('bot_hangup');
  await expectNothingLeft(env.asterisk);
  const heardMs = toneSnrDb(caller.heard(), TAIL_HZ, 8000, -30, 10).blocks * 10;
  console.info(`[asterisk-real] websocket last words: ${heardMs} of ${TAIL_MS} ms of the final tone heard`);
  return heardMs;
}

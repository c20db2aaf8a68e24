// One call through the real Asterisk on a given ExternalMedia transport, with audio both ways:
// the caller (SIP, PCMU) sends a 1 kHz tone then speech, the bot sends a 700 Hz tone then speech.
// Measured: each tone's SNR where it arrives (codec noise plus any glitch) and, block by block,
// how well the speech matches its source.
import { expect } from 'vitest';
import type { AsteriskConfigInput } from '../../../gateway-adapters/asterisk/asterisk-config.js';
import { speechMatch, toneSnrDb } from '../../support/asterisk/audio-checks.js';
import { finishedCalls, until } from '../../support/asterisk/parley-pbx.js';
import { expectNothingLeft, type RealPbxEnv } from '../../support/asterisk/real-pbx.js';
import { renderSpeech } from '../../support/speech.js';
import { sine } from '../../support/test-signals.js';

export const CALLER_TEXT = 'Hello, I would like to check the status of my order.';
export const BOT_TEXT = 'Thank you for calling, how can I help?';
const CALLER_TONE_HZ = 1000;
const BOT_TONE_HZ = 700;
const TONE_MS = 1500;
const GAP_MS = 200;
// A stall on the loaded test machine delays everything after it, losing nothing: in one CI run the
// bot's speech reached the caller 280 ms late from partway on (266 packets for 252), and judged at
// one lag it scored 0.3.
const SPEECH_SLIP_MS = 400;

// [tone][silence][speech] at `rateHz`.
export function toneThenSpeech(toneHz: number, text: string, rateHz: number): Int16Array {
  const tone = sine((rateHz * TONE_MS) / 1000, rateHz, toneHz, 8000);
  const speech = renderSpeech(text, { rateHz });
  const out = new Int16Array(tone.length + (rateHz * GAP_MS) / 1000 + speech.length);
  out.set(tone);
  out.set(speech, out.length - speech.length);
  return out;
}

export interface TransportMeasure {
  toBotToneSnrDb: number;
  toCallerToneSnrDb: number;
  toBotSpeech: number;
  toCallerSpeech: number;
  callerPackets: number;
}

export async function checkTransport(env: RealPbxEnv, config: AsteriskConfigInput, label: string): Promise<TransportMeasure> {
  const botClip = toneThenSpeech(BOT_TONE_HZ, BOT_TEXT, 16000);
  const parley = await env.parley({ config, botSays: botClip });
  const caller = await env.dial();
  const bot = await parley.bots.started(0);
  const callerClip = toneThenSpeech(CALLER_TONE_HZ, CALLER_TEXT, 8000);
  await caller.say(callerClip);
  // The bot's clip has reached the caller (at 8 kHz: 160 samples a packet) and the stream has
  // ended. Not "every packet": a transport that sends nothing between talkspurts stops short of
  // the clip's count when a loaded machine loses a frame or two, and the audio checks below judge
  // what arrived.
  await until(() => caller.packetsReceived * 160 >= (botClip.length / 2) * 0.95, 'the bot’s clip at the caller');
  let lastCount = -1;
  let lastChangeAt = Date.now();
  await until(() => {
    if (caller.packetsReceived !== lastCount) [lastCount, lastChangeAt] = [caller.packetsReceived, Date.now()];
    return caller.packetsReceived * 160 >= botClip.length / 2 || Date.now() - lastChangeAt >= 300;
  }, 'the end of the bot’s clip at the caller');
  const heardByBot = bot.heard();
  const heardByCaller = caller.heard();
  const measure: TransportMeasure = {
    toBotToneSnrDb: toneSnrDb(heardByBot, CALLER_TONE_HZ, 16000).snrDb,
    toCallerToneSnrDb: toneSnrDb(heardByCaller, BOT_TONE_HZ, 8000).snrDb,
    // Sources resampled as the wire did: caller speech was 8 kHz, the bot hears it at 16 kHz. The
    // streams may slip (SPEECH_SLIP_MS): what is judged is whether the speech arrived.
    toBotSpeech: speechMatch(toneThenSpeech(CALLER_TONE_HZ, CALLER_TEXT, 16000), heardByBot, 16000, undefined, SPEECH_SLIP_MS).correlation,
    toCallerSpeech: speechMatch(toneThenSpeech(BOT_TONE_HZ, BOT_TEXT, 8000), heardByCaller, 8000, undefined, SPEECH_SLIP_MS).correlation,
    callerPackets: caller.packetsReceived,
  };
  console.info(`[asterisk-real] ${label}: ${JSON.stringify(measure, (_, v: unknown) => (typeof v === 'number' ? Math.round(v * 100) / 100 : v))}`);
  // Tone blocks present for most of the tone's length, each way.
  expect(toneSnrDb(heardByBot, CALLER_TONE_HZ, 16000).blocks).toBeGreaterThanOrEqual(12);
  expect(toneSnrDb(heardByCaller, BOT_TONE_HZ, 8000).blocks).toBeGreaterThanOrEqual(12);
  const done = finishedCalls(parley.adapter, 1);
  await caller.hangUp();
  await done;
  expect(bot.stopReason).toBe('caller_hangup');
  await expectNothingLeft(env.asterisk);
  return measure;
}

// chan_websocket with control_message_format = json: Parley's commands (FLUSH_MEDIA on barge-in,
// REPORT_QUEUE_DRAINED before a hangup) must be JSON too, or Asterisk answers each with an ERROR
// "Unable to parse JSON command" and does not do it.
import { describe, expect, it } from 'vitest';
import { asteriskMetrics } from '../../../gateway-adapters/asterisk/asterisk-metrics.js';
import { until } from '../../support/asterisk/parley-pbx.js';
import { realAsteriskPerFile } from '../../support/asterisk/real-pbx.js';
import { rmsDbfs } from '../../support/signal-metrics.js';
import { renderSpeech } from '../../support/speech.js';
import { BOT_TEXT, CALLER_TEXT } from './transport-check.js';
import { lastWordsHeardMs, TAIL_MS } from './last-words.js';

async function asteriskErrors(): Promise<number> {
  return (await asteriskMetrics.wsMedia.get()).values.find((value) => value.labels.kind === 'asterisk_error')?.value ?? 0;
}

describe('real Asterisk: chan_websocket in JSON control mode', () => {
  const env = realAsteriskPerFile({ webSocketControlFormat: 'json' });

  it('barge-in: FLUSH_MEDIA as JSON empties Asterisk’s queue, with no ERROR back', async () => {
    const errorsBefore = await asteriskErrors();
    const longReply = renderSpeech(`${BOT_TEXT} ${BOT_TEXT} ${BOT_TEXT}`, { rateHz: 16000 });
    const parley = await env.parley({ config: { transport: 'websocket' }, botSays: longReply, session: { bargeIn: true } });
    const caller = await env.dial();
    const bot = await parley.bots.started(0);
    let bargedInAtSample = -1;
    bot.media.once('bargeIn', () => (bargedInAtSample = caller.heard().length));
    await caller.pause(1500);
    await caller.say(renderSpeech(CALLER_TEXT, { rateHz: 8000 }));
    await until(() => bargedInAtSample >= 0, 'barge-in');
    // The bot was heard before; from 100 ms after the barge-in on, nothing of it (the reply had
    // seconds left: without the flush the caller would have heard them).
    const heard = caller.heard();
    expect(rmsDbfs(heard, 0, bargedInAtSample)).toBeGreaterThan(-40);
    expect(rmsDbfs(heard, bargedInAtSample + 800)).toBeLessThan(-55);
    expect(await asteriskErrors()).toBe(errorsBefore);
  });

  it('bot hangup: REPORT_QUEUE_DRAINED as JSON, the last words heard, no ERROR back', async () => {
    const errorsBefore = await asteriskErrors();
    expect(await lastWordsHeardMs(env)).toBeGreaterThanOrEqual(TAIL_MS - 70);
    expect(await asteriskErrors()).toBe(errorsBefore);
  });
});

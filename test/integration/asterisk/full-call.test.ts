import { afterEach, describe, expect, it } from 'vitest';
import { bestAlignment, rmsDbfs } from '../../support/signal-metrics.js';
import { renderSpeech } from '../../support/speech.js';
import { APP, BOT_CONTEXT, finishedCalls, startHarness, type Harness } from './asterisk-harness.js';

const CALLER_TEXT = 'Hello, I would like to check the status of my order.';
const BOT_TEXT = 'Thank you for calling, how can I help?';

describe('Asterisk ExternalMedia call over RTP', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('answers, bridges an ExternalMedia channel, and carries audio both ways (ulaw)', async () => {
    harness = await startHarness({ config: { format: 'ulaw' }, botSays: renderSpeech(BOT_TEXT, { rateHz: 16000 }) });
    const { ari, bots } = harness;
    const caller = ari.placeCall(APP, { context: BOT_CONTEXT, exten: '7000', audio: renderSpeech(CALLER_TEXT, { rateHz: 8000 }) });
    const bot = await bots.started(0);
    const [mediaChannelId] = [...ari.rtpEndpoints.keys()];
    const endpoint = ari.rtpEndpoints.get(mediaChannelId!)!;
    // 2.5 s of media each way.
    await endpoint.waitForPackets(125);
    await new Promise<void>((resolve) => {
      const check = (): void => (bot.frames.length >= 150 ? resolve() : void setTimeout(check, 20));
      check();
    });

    expect(ari.channels.get(caller.id)!.state).toBe('Up');
    const bridge = [...ari.bridges.values()][0]!;
    expect(bridge.type).toBe('mixing');
    expect(bridge.channels.sort()).toEqual([caller.id, mediaChannelId].sort());
    expect(bot.info.source).toBe('asterisk');

    // The bot heard the caller (16 kHz at the bot, 8 kHz G.711 on the wire).
    const callerAt16k = renderSpeech(CALLER_TEXT, { rateHz: 16000 }).subarray(0, 32000);
    const toBot = bestAlignment(callerAt16k, bot.heard(), 0, 8000);
    expect(toBot.correlation).toBeGreaterThan(0.7);
    // The caller heard the bot, out of RTP sent to UNICASTRTP_LOCAL_ADDRESS/PORT.
    const botAt8k = renderSpeech(BOT_TEXT, { rateHz: 8000 }).subarray(0, 16000);
    const heard = endpoint.heard();
    expect(rmsDbfs(heard)).toBeGreaterThan(-40);
    expect(bestAlignment(botAt8k, heard, 0, 4000).correlation).toBeGreaterThan(0.7);
    expect(endpoint.wrongPayloadType).toBe(0);

    const externalMedia = ari.requests.find((request) => request.nickname === 'channels.externalMedia')!.query;
    expect(externalMedia).toMatchObject({ app: APP, encapsulation: 'rtp', transport: 'udp', format: 'ulaw', direction: 'both' });

    // Caller hangs up: the call ends and nothing Parley created is left in Asterisk.
    const done = finishedCalls(harness.adapter, 1);
    ari.callerHangsUp(caller.id);
    await done;
    expect(bot.stopReason).toBe('caller_hangup');
    expect(ari.bridges.size).toBe(0);
    expect(ari.channels.size).toBe(0);
    expect(harness.media.sessionCount).toBe(0);
  });
});

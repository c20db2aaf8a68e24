import { describe, expect, it } from 'vitest';
import { renderSpeech } from '../../support/speech.js';
import { APP, BOT_TEXT, finishedCalls, harnessPerTest, twoWayCall } from './asterisk-harness.js';

describe('Asterisk call over ExternalMedia RTP', () => {
  const harnesses = harnessPerTest();

  it('answers, bridges an ExternalMedia channel, carries audio both ways, and leaves nothing behind (ulaw)', async () => {
    const harness = await harnesses.start({ config: { format: 'ulaw' }, botSays: renderSpeech(BOT_TEXT, { rateHz: 16000 }) });
    const { ari, bots } = harness;
    const result = await twoWayCall(harness, 8000);

    expect(ari.channels.get(result.callerId)!.state).toBe('Up');
    const bridge = [...ari.bridges.values()][0]!;
    expect(bridge.type).toBe('mixing');
    const mediaId = bridge.channels.find((id) => id !== result.callerId)!;
    expect(bridge.channels).toContain(result.callerId);
    expect(ari.rtpEndpoints.get(mediaId)!.wrongPayloadType).toBe(0);
    const bot = bots.bots[0]!;
    expect(bot.info.source).toBe('asterisk');
    expect(result.toBot).toBeGreaterThan(0.9);
    expect(result.toCaller).toBeGreaterThan(0.9);
    expect(result.callerHeardDbfs).toBeGreaterThan(-40);

    const externalMedia = ari.requests.find((request) => request.nickname === 'channels.externalMedia')!.query;
    expect(externalMedia).toMatchObject({ app: APP, encapsulation: 'rtp', transport: 'udp', format: 'ulaw', direction: 'both' });
    // The RTP target Parley gave is the port its session listens on; Asterisk's side is what
    // UNICASTRTP_LOCAL_PORT said, which is where the audio the caller heard arrived.
    expect(externalMedia.external_host).toMatch(/^127\.0\.0\.1:\d+$/);

    // DTMF from the caller reaches the bot.
    ari.sendDtmf(result.callerId, '5');
    ari.sendDtmf(result.callerId, '#');
    await new Promise<void>((resolve) => {
      const check = (): void => (bot.digits.length >= 2 ? resolve() : void setTimeout(check, 10));
      check();
    });
    expect(bot.digits).toEqual(['5', '#']);

    // Caller hangs up: the call ends and nothing Parley created is left in Asterisk.
    const done = finishedCalls(harness.adapter, 1);
    ari.callerHangsUp(result.callerId);
    await done;
    expect(bot.stopReason).toBe('caller_hangup');
    expect(ari.bridges.size).toBe(0);
    expect(ari.channels.size).toBe(0);
    expect(harness.media.sessionCount).toBe(0);
  });
});

import alawmulaw from 'alawmulaw';
import { describe, expect, it } from 'vitest';
import { botMetrics } from '../../../engine/bot/bot-metrics.js';
import {
  counterValue,
  framesPlayedAtClears,
  heardFrames,
  isVoiced,
  loudCount,
  PROBE_AMPLITUDE,
  tone,
  untilProbeHeard,
  untilRtp,
  voicedCount,
} from '../../support/bot-call.js';
import { frames } from '../../support/frames.js';
import { botFixture } from '../../support/bot-fixture.js';
import type { BotPeer } from '../../support/bot-server.js';
import { bestAlignment, blockCorrelations } from '../../support/signal-metrics.js';
import { renderSpeech } from '../../support/speech.js';

interface Media {
  event: 'media';
  sequenceNumber: string;
  streamSid: string;
  media: { track: string; chunk: string; timestamp: string; payload: string };
}

// A Twilio bot sends its audio as base64 µ-law 8 kHz media messages, here 20 ms each.
function sendMulaw(bot: BotPeer, streamSid: string, pcm8k: Int16Array): void {
  for (const frame of frames(pcm8k, 160)) {
    bot.send({ event: 'media', streamSid, media: { payload: Buffer.from(alawmulaw.mulaw.encode(frame)).toString('base64') } });
  }
}

const twilio = { bot: { protocol: 'twilio' as const } };

function streamSidOf(bot: BotPeer): string {
  return bot.events[1]!.streamSid as string;
}

describe('Twilio Media Streams compatibility over a real WebSocket, driven by RTP over real UDP', () => {
  const t = botFixture();

  it("speaks Twilio's messages: connected, start, then caller audio as base64 µ-law 8 kHz media", async () => {
    const { call, bot } = await t.connect({ ...twilio, info: { callId: 'call-twilio', customParameters: { agent: 'sales' } } });
    const streamSid = streamSidOf(bot);
    expect(bot.events[0]).toEqual({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    expect(streamSid).toMatch(/^MZ[0-9a-f]{32}$/);
    expect(bot.events[1]).toEqual({
      event: 'start',
      sequenceNumber: '1',
      start: {
        streamSid,
        accountSid: expect.stringMatching(/^AC[0-9a-f]{32}$/),
        callSid: expect.stringMatching(/^CA[0-9a-f]{32}$/),
        tracks: ['inbound'],
        customParameters: { agent: 'sales', parleyCallId: 'call-twilio' },
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
      streamSid,
    });

    const text = 'Twilio bots hear the caller in mu law.';
    const speech8k = renderSpeech(text, { rateHz: 8000 });
    const payloads = frames(speech8k, 160).map((frame) => alawmulaw.mulaw.encode(frame));
    await call.peer.stream(payloads, call.localPort, { payloadType: 0, ssrc: 0x5151, samplesPerFrame: 160 });
    await bot.until(() => bot.named('media').length >= payloads.length);
    const media = bot.named('media') as unknown as Media[];
    media.forEach((message, i) => {
      expect(message.sequenceNumber).toBe(String(i + 2));
      expect(message.streamSid).toBe(streamSid);
      expect(message.media.track).toBe('inbound');
      expect(message.media.chunk).toBe(String(i + 1));
      expect(message.media.timestamp).toBe(String(i * 20));
    });
    // One 20 ms frame per message, 160 µ-law bytes (the resampler may shift one sample now and then).
    const codes = media.map((m) => Buffer.from(m.media.payload, 'base64'));
    expect(codes.every((c) => Math.abs(c.length - 160) <= 1)).toBe(true);
    const heard = alawmulaw.mulaw.decode(Buffer.concat(codes));
    // Half-second blocks, each with its own lag within ±100 ms: on a loaded machine the adaptive
    // jitter buffer stretches or cuts the speech after the sender's timer stalls.
    const start = bestAlignment(speech8k, heard, 0, 4000);
    const blocks = blockCorrelations(speech8k, heard, start.lag, 4000, 800);
    expect(blocks.filter((correlation) => correlation > 0.7).length / blocks.length).toBeGreaterThanOrEqual(0.8);
  });

  it('plays the bot µ-law to the caller, answers a mark once its audio is sent, and clear flushes within a frame answering pending marks', async () => {
    const { call, bot } = await t.connect(twilio);
    const streamSid = streamSidOf(bot);
    const text = 'Hello from a bot written for Twilio.';
    const speech8k = renderSpeech(text, { rateHz: 8000 });
    const speechFrames = Math.floor(speech8k.length / 160);
    sendMulaw(bot, streamSid, speech8k);
    let heardAtMark = 0;
    bot.send({ event: 'mark', streamSid, mark: { name: 'spoken' } });
    await bot.until(() => {
      heardAtMark = call.peer.received.length;
      return bot.named('mark').length === 1;
    });
    expect(bot.named('mark')[0]).toMatchObject({ event: 'mark', streamSid, mark: { name: 'spoken' }, sequenceNumber: expect.stringMatching(/^\d+$/) });
    // The mark came back once the audio before it had been sent (less the last packet, which
    // may be read just after the mark).
    expect(heardAtMark).toBeGreaterThanOrEqual(speechFrames - 2);
    const heard = heardFrames(call.peer);
    const heardPcm = Int16Array.from(heard.slice(Math.max(0, heard.findIndex(isVoiced) - 5)).flatMap((f) => [...f]));
    expect(bestAlignment(speech8k, heardPcm, 0, 1600).correlation).toBeGreaterThan(0.8);

    const first = call.peer.received.length;
    const playedBefore = call.session.stats().botSamplesPlayed / call.session.frameSamples;
    const playedAtClear = framesPlayedAtClears(call.session);
    sendMulaw(bot, streamSid, tone(8000, 3000));
    bot.send({ event: 'mark', streamSid, mark: { name: 'cut-short' } });
    await untilRtp(call.peer, () => voicedCount(call.peer, first) >= 10);
    bot.send({ event: 'clear', streamSid });
    // Twilio answers the marks a clear dropped.
    await bot.until(() => bot.named('mark').length === 2);
    expect((bot.named('mark')[1]!.mark as { name: string }).name).toBe('cut-short');
    sendMulaw(bot, streamSid, tone(8000, 100, 440, PROBE_AMPLITUDE));
    await untilProbeHeard(call.peer, first);
    // The caller heard what had been played when the clear was applied, and at most one frame more.
    const tonePlayed = playedAtClear[0]! - playedBefore;
    expect(loudCount(call.peer, first)).toBeGreaterThanOrEqual(tonePlayed - 1);
    expect(loudCount(call.peer, first)).toBeLessThanOrEqual(tonePlayed + 1);
    expect(tonePlayed).toBeLessThan(150);
  });

  it('rejects each malformed message with a counted error while the call continues', async () => {
    const { call, bot } = await t.connect(twilio);
    const streamSid = streamSidOf(bot);
    const reasons = { bad_json: 1, unknown_event: 1, bad_base64: 1, payload_size: 1, unexpected_binary: 1, schema: 1 };
    const before = Object.fromEntries(
      await Promise.all(Object.keys(reasons).map(async (reason) => [reason, await counterValue(botMetrics.malformed, { protocol: 'twilio', reason })] as const)),
    );
    bot.send('not json at all');
    bot.send({ event: 'transfer', streamSid });
    bot.send({ event: 'media', streamSid, media: { payload: '@@not*base64!!' } });
    bot.send({ event: 'media', streamSid, media: { payload: '' } });
    bot.send(Buffer.alloc(160));
    bot.send({ event: 'media', media: { payload: 'AAAA' } });
    bot.send({ event: 'mark', streamSid, mark: { name: 'still-here' } });
    await bot.until(() => bot.named('mark').length === 1);
    expect(call.connection.stats.malformed).toEqual(reasons);
    for (const [reason, count] of Object.entries(reasons)) {
      expect(await counterValue(botMetrics.malformed, { protocol: 'twilio', reason })).toBe(before[reason]! + count);
    }
    expect(call.session.isClosed).toBe(false);
  });

  it('a Twilio bot closing its stream normally ends the call once its audio has played', async () => {
    const { call, bot } = await t.connect(twilio);
    const streamSid = streamSidOf(bot);
    sendMulaw(bot, streamSid, tone(8000, 400));
    bot.socket.close(1000);
    expect(await call.ended).toBe('bot_hangup');
    await call.peer.waitFor(19);
    expect(voicedCount(call.peer)).toBeGreaterThanOrEqual(19);
    expect(call.connection.stats.fallback).toBe(false);
  });
});

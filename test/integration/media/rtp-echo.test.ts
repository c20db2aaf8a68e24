import alawmulaw from 'alawmulaw';
import { afterEach, describe, expect, it } from 'vitest';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import { echoBot } from '../../support/echo-bot.js';
import { frames } from '../../support/frames.js';
import { RtpPeer } from '../../support/rtp-peer.js';
import { bestAlignment, blockCorrelations, rmsDbfs } from '../../support/signal-metrics.js';
import { renderSpeech } from '../../support/speech.js';

describe('RTP media session over real UDP', () => {
  let engine: MediaEngine | undefined;
  let peer: RtpPeer | undefined;
  afterEach(() => {
    engine?.stop();
    peer?.close();
  });

  it('carries PCMU speech to the bot at 16 kHz and the bot audio back, paced and in order', async () => {
    engine = new MediaEngine();
    peer = await RtpPeer.open();
    const { session, localPort } = engine.createRtpSession('call-1', { codec: 'PCMU', bargeIn: false });
    const heard = echoBot(session);
    const speech8k = renderSpeech('Hello, this is a test of the media path.', { rateHz: 8000 });
    const payloads = frames(speech8k, 160).map((frame) => alawmulaw.mulaw.encode(frame));
    await peer.stream(payloads, localPort!, { payloadType: 0, ssrc: 0x1234, samplesPerFrame: 160 });
    // The node sends continuously (silence when the bot is quiet): ten packets more means every
    // caller packet has been through the pipeline and its echo sent.
    await peer.waitFor(payloads.length + 10);

    // The bot heard the caller: 16 kHz frames whose content matches the 8 kHz input.
    const bot = Int16Array.from(heard.flatMap((frame) => [...frame]));
    const input16k = renderSpeech('Hello, this is a test of the media path.', { rateHz: 16000 });
    const toBot = bestAlignment(input16k, bot, 0, 16000 / 2);
    expect(heard.every((frame) => frame.length === 320)).toBe(true);
    // Half-second blocks, each allowed its own lag within ±100 ms: the adaptive jitter buffer may
    // stretch or drop a frame when the loaded machine delays the sender's timer.
    const matching = (blocks: number[]): number => blocks.filter((c) => c > 0.8).length / blocks.length;
    expect(matching(blockCorrelations(input16k, bot, toBot.lag, 8000, 1600))).toBeGreaterThanOrEqual(0.8);

    // The caller heard the bot: PCMU packets, consecutive seq/timestamps, content matching.
    const back = peer.received.map((r) => r.packet);
    for (let i = 1; i < back.length; i++) {
      expect((back[i]!.header.sequenceNumber - back[i - 1]!.header.sequenceNumber) & 0xffff).toBe(1);
      expect((back[i]!.header.timestamp - back[i - 1]!.header.timestamp) >>> 0).toBe(160);
      expect(back[i]!.header.payloadType).toBe(0);
    }
    const returned = Int16Array.from(back.flatMap((p) => [...alawmulaw.mulaw.decode(p.payload)]));
    const toCaller = bestAlignment(speech8k, returned, 0, 8000);
    expect(matching(blockCorrelations(speech8k, returned, toCaller.lag, 4000, 800))).toBeGreaterThanOrEqual(0.8);
    expect(rmsDbfs(returned)).toBeGreaterThan(-40);
    // Pacing: packets 20 ms apart on average over the call.
    const arrivals = peer.received.map((r) => r.arrivalMs);
    const spanMs = arrivals.at(-1)! - arrivals[0]!;
    expect(spanMs / (arrivals.length - 1)).toBeGreaterThan(18);
    expect(spanMs / (arrivals.length - 1)).toBeLessThan(22);
    const stats = session.stats();
    expect(stats.packetsReceived).toBe(payloads.length);
    expect(stats.malformed).toBe(0);
  });
});

// RFC 3389 comfort noise on a direct SIP call over real UDP, both ways: a caller that offers
// CN/8000 gets the bot's silence as CN packets (a SID at the start of each silence, updates every
// 200 ms, the level in -dBov, the marker on the first audio packet after it), and the caller's own
// CN becomes noise at its level in what the bot hears.
import alawmulaw from 'alawmulaw';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { BotStarter } from '../../../engine/call/call.js';
import { CallRegistry } from '../../../engine/call/call-registry.js';
import { CallService } from '../../../engine/call/call-service.js';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import { SipEndpoint } from '../../../gateway-adapters/sip/sip-endpoint.js';
import { RtpPeer } from '../../support/rtp-peer.js';
import { offerSdp, SipTestClient, toTagOf } from '../../support/sip-client.js';

const logger = pino({ level: 'silent' });
const BOT_RATE_HZ = 16000;
const FRAME_MS = 20;
const SID_UPDATE_TS = 1600; // 200 ms at CN's 8 kHz clock
const BOT_NOISE_LEVEL = 70; // -dBov: under the -60 dBov the sender counts as silence
const CALLER_CN_LEVEL = 40;

// A 500 Hz square wave at exactly `level` -dBov (RMS = amplitude), the bot's quiet line.
function squareAtLevel(level: number, ms: number): Int16Array {
  const amplitude = Math.round(32767 * 10 ** (-level / 20));
  return Int16Array.from({ length: (BOT_RATE_HZ * ms) / 1000 }, (_, i) => (Math.floor(i / 16) % 2 === 0 ? amplitude : -amplitude));
}

function tone(ms: number, rateHz: number, amplitude: number): Int16Array {
  return Int16Array.from({ length: (rateHz * ms) / 1000 }, (_, i) => Math.round(amplitude * Math.sin((2 * Math.PI * 440 * i) / rateHz)));
}

function rms(pcm: Int16Array): number {
  return Math.sqrt(pcm.reduce((sum, x) => sum + x * x, 0) / Math.max(1, pcm.length));
}

describe('RFC 3389 comfort noise on a direct SIP call', () => {
  let engine: MediaEngine;
  let calls: CallRegistry;
  const closers: Array<() => unknown> = [];
  let heard: Int16Array[] = [];

  // Quiet line for a second, a tone, then nothing; records what it hears.
  const bot: BotStarter = (media) => {
    media.play(squareAtLevel(BOT_NOISE_LEVEL, 1000));
    media.play(tone(400, BOT_RATE_HZ, 8000));
    const listener = (pcm: Int16Array): void => void heard.push(pcm.slice());
    media.on('audio', listener);
    return { stop: () => media.off('audio', listener) };
  };

  const call = async (payloads: string): Promise<{ peer: RtpPeer; answer: string; port: number }> => {
    const deps = { calls: new CallService({ engine, calls, startBot: bot, maxCallMs: 60_000, logger }), logger, media: { host: '127.0.0.1', session: { bargeIn: false, echoCancellation: false } } };
    const endpoint = await SipEndpoint.start({ port: 0 }, deps);
    const client = await SipTestClient.open(endpoint.local);
    const peer = await RtpPeer.open();
    closers.push(() => client.close(), () => peer.close(), () => endpoint.close());
    const dialog = client.newDialog();
    client.invite(dialog, offerSdp({ port: peer.port, payloads, extra: ['a=rtpmap:13 CN/8000'] }));
    const ok = await client.waitForResponse(dialog.callId, 'INVITE', 200);
    dialog.toTag = toTagOf(ok);
    client.ack(dialog, true);
    return { peer, answer: ok.body, port: Number(/^m=audio (\d+) /m.exec(ok.body)?.[1]) };
  };

  beforeAll(() => {
    engine = new MediaEngine({ logger });
    calls = new CallRegistry();
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    heard = [];
  });
  afterAll(() => engine.stop());

  it('sends the bot\'s silence as CN: a SID with its level, updates every 200 ms, then audio with the marker, then a SID at -127 dBov', async () => {
    const { peer, answer } = await call('0 101 13');
    expect(answer).toMatch(/^m=audio \d+ RTP\/AVP 0 101 13\r?$/m);
    expect(answer).toContain('a=rtpmap:13 CN/8000');
    await expect.poll(() => peer.received.some((r) => r.packet.header.payloadType === 13 && r.packet.payload[0] === 127 && r.packet.header.timestamp !== peer.received[0]!.packet.header.timestamp), { timeout: 5000 }).toBe(true);

    const packets = peer.received.map((r) => r.packet);
    const firstAudio = packets.findIndex((p) => p.header.payloadType === 0);
    expect(firstAudio).toBeGreaterThan(0);
    // Audio only for the tone: the quiet second before it went out as CN alone.
    const sids = packets.slice(0, firstAudio).filter((p) => p.header.payloadType === 13 && p.payload[0] === BOT_NOISE_LEVEL);
    expect(packets.slice(0, firstAudio).every((p) => p.header.payloadType === 13 && p.payload.length === 1)).toBe(true);
    expect(sids.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < sids.length; i++) expect(sids[i]!.header.timestamp - sids[i - 1]!.header.timestamp).toBe(SID_UPDATE_TS);
    // RFC 3551 section 4.1: the first packet of the talkspurt after the silence carries the marker.
    expect(packets[firstAudio]!.header.marker).toBe(true);
    const audio = packets.filter((p) => p.header.payloadType === 0);
    expect(audio.filter((p) => p.header.marker)).toHaveLength(1);
    // 400 ms of tone in 20 ms packets, the tone itself and not noise.
    expect(audio.length).toBe(400 / FRAME_MS);
    const decoded = Int16Array.from(audio.flatMap((p) => [...alawmulaw.mulaw.decode(p.payload)]));
    expect(rms(decoded)).toBeGreaterThan(4000);
    // After the tone, digital silence: the next SID says -127 dBov, on the frame after the tone.
    const after = packets[packets.indexOf(audio.at(-1)!) + 1]!;
    expect(after.header.payloadType).toBe(13);
    expect(after.payload[0]).toBe(127);
    expect(after.header.timestamp - audio.at(-1)!.header.timestamp).toBe(160);
  });

  it('sends silence as audio when the caller did not offer CN', async () => {
    const { peer, answer } = await call('0 101');
    expect(answer).not.toContain('CN/8000');
    await peer.waitFor(60);
    expect(peer.received.slice(0, 60).every((r) => r.packet.header.payloadType === 0)).toBe(true);
  });

  it('fills the caller\'s CN pause with noise at the SID\'s level for the bot', async () => {
    const { peer, port } = await call('0 101 13');
    const speech = tone(400, 8000, 8000);
    const payloads = Array.from({ length: speech.length / 160 }, (_, i) => alawmulaw.mulaw.encode(speech.subarray(i * 160, (i + 1) * 160)));
    await peer.stream(payloads, port, { payloadType: 0, ssrc: 0x3389, samplesPerFrame: 160, firstSeq: 0, firstTimestamp: 0 });
    // RFC 3389 section 4: the SID follows the talkspurt's last packet in sequence and time.
    peer.send({ payloadType: 13, ssrc: 0x3389, sequenceNumber: payloads.length, timestamp: payloads.length * 160 }, Uint8Array.of(CALLER_CN_LEVEL), port);
    const toneFrames = (): number => heard.filter((pcm) => rms(pcm) > 3000).length;
    await expect.poll(() => toneFrames(), { timeout: 5000 }).toBeGreaterThanOrEqual(18);
    const pauseStart = heard.length;
    await expect.poll(() => heard.length - pauseStart, { timeout: 5000 }).toBeGreaterThanOrEqual(40);
    // Past the tone's tail: the pause's frames carry noise within 2 dB of -40 dBov, never silence.
    const pause = heard.slice(pauseStart + 10, pauseStart + 40);
    const expected = 32767 * 10 ** (-CALLER_CN_LEVEL / 20);
    for (const frame of pause) expect(Math.abs(20 * Math.log10(rms(frame) / expected))).toBeLessThan(2);
  });
});

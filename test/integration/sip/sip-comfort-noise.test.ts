// RFC 3389 comfort noise on a direct SIP call over real UDP, both ways, beside every codec that
// takes it: a caller that offers CN at its codec's RTP clock (CN/8000 beside G.711 and beside
// G.722, whose RTP clock is 8000 though it samples at 16 kHz; CN/16000 beside L16/16000) gets the
// bot's silence as CN packets (a SID at the start of each silence, updates every 200 ms, the level
// in -dBov, the marker on the first audio packet after it), and the caller's own CN becomes noise
// at its level in what the bot hears, without counting as loss.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { BotStarter } from '../../../engine/call/call.js';
import { CallRegistry } from '../../../engine/call/call-registry.js';
import { CallService } from '../../../engine/call/call-service.js';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import type { MediaSession } from '../../../engine/media/media-session.js';
import { l16ToPcm, pcmToL16 } from '../../../engine/native/l16.js';
import { OpusEncoder } from '../../../engine/native/opus.js';
import { Transcoder, type TranscoderCodec } from '../../../engine/native/transcoder.js';
import type { SipCodec } from '../../../gateway-adapters/sip/sdp-offer-answer.js';
import { SipEndpoint } from '../../../gateway-adapters/sip/sip-endpoint.js';
import { frames } from '../../support/frames.js';
import { RtpPeer } from '../../support/rtp-peer.js';
import { LATE_FRAMES_UNDER_LOAD, TARGET_DELAY_UNDER_LOAD_MS } from '../../support/silence-suppression.js';
import { offerSdp, SipTestClient, toTagOf } from '../../support/sip-client.js';

const logger = pino({ level: 'silent' });
const BOT_RATE_HZ = 16000;
const FRAME_MS = 20;
const SID_UPDATE_MS = 200;
const BOT_NOISE_LEVEL = 70; // -dBov: under the -60 dBov the sender counts as silence
const CALLER_CN_LEVEL = 40;

interface CodecCase {
  codec: SipCodec;
  payloads: string;
  rtpmaps: string[];
  payloadType: number;
  comfortNoisePayloadType: number;
  rtpClockHz: number;
  pcmRateHz: number;
}

// What a caller offers, and the clocks that follow from it (RFC 3551 section 4.5.2 for G.722).
const cases: CodecCase[] = [
  { codec: 'PCMU', payloads: '0 101 13', rtpmaps: ['a=rtpmap:13 CN/8000'], payloadType: 0, comfortNoisePayloadType: 13, rtpClockHz: 8000, pcmRateHz: 8000 },
  // A desk phone's G.722 offer: static 9 and 13 without rtpmap lines.
  { codec: 'G722', payloads: '9 101 13', rtpmaps: [], payloadType: 9, comfortNoisePayloadType: 13, rtpClockHz: 8000, pcmRateHz: 16000 },
  { codec: 'L16/16000', payloads: '96 101 13 105', rtpmaps: ['a=rtpmap:96 L16/16000', 'a=rtpmap:13 CN/8000', 'a=rtpmap:105 CN/16000'], payloadType: 96, comfortNoisePayloadType: 105, rtpClockHz: 16000, pcmRateHz: 16000 },
];

// The test's own codec (the node's native one, run standalone): L16 in, the call's codec out.
function codecOf(c: CodecCase): { encode: (pcm: Int16Array) => Uint8Array; decode: (payload: Uint8Array) => Int16Array } {
  const l16 = `L16/${c.pcmRateHz}` as TranscoderCodec;
  const wire = (c.codec.startsWith('L16') ? l16 : c.codec) as TranscoderCodec;
  const encoder = new Transcoder({ from: l16, to: wire });
  const decoder = new Transcoder({ from: wire, to: l16 });
  return { encode: (pcm) => encoder.transcode(pcmToL16(pcm)), decode: (payload) => l16ToPcm(decoder.transcode(payload)) };
}

// A 500 Hz square wave at exactly `level` -dBov (RMS = amplitude), the bot's quiet line.
function squareAtLevel(level: number, ms: number): Int16Array {
  const amplitude = Math.round(32767 * 10 ** (-level / 20));
  return Int16Array.from({ length: (BOT_RATE_HZ * ms) / 1000 }, (_, i) => (Math.floor(i / 16) % 2 === 0 ? amplitude : -amplitude));
}

function tone(ms: number, rateHz: number, amplitude: number): Int16Array {
  return Int16Array.from({ length: (rateHz * ms) / 1000 }, (_, i) => Math.round(amplitude * Math.sin((2 * Math.PI * 440 * i) / rateHz)));
}

function rms(pcm: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) sum += pcm[i]! * pcm[i]!;
  return Math.sqrt(sum / Math.max(1, pcm.length));
}

const dbov = (value: number): number => 20 * Math.log10(value / 32767);

describe('RFC 3389 comfort noise on a direct SIP call', () => {
  let engine: MediaEngine;
  let calls: CallRegistry;
  const closers: Array<() => unknown> = [];
  let heard: Int16Array[] = [];
  let session: MediaSession | undefined;

  // Quiet line for a second, a tone, then nothing; records what it hears.
  const bot: BotStarter = (media) => {
    session = media as MediaSession;
    media.play(squareAtLevel(BOT_NOISE_LEVEL, 1000));
    media.play(tone(400, BOT_RATE_HZ, 8000));
    const listener = (pcm: Int16Array): void => void heard.push(pcm.slice());
    media.on('audio', listener);
    return { stop: () => media.off('audio', listener) };
  };

  const call = async (payloads: string, rtpmaps: string[], codecs?: SipCodec[]): Promise<{ peer: RtpPeer; answer: string; port: number }> => {
    const deps = { calls: new CallService({ engine, calls, startBot: bot, maxCallMs: 60_000, logger }), logger, media: { host: '127.0.0.1', session: { bargeIn: false, echoCancellation: false } } };
    const endpoint = await SipEndpoint.start({ port: 0, ...(codecs ? { codecs } : {}) }, deps);
    const client = await SipTestClient.open(endpoint.local);
    const peer = await RtpPeer.open();
    closers.push(() => client.close(), () => peer.close(), () => endpoint.close());
    const dialog = client.newDialog();
    client.invite(dialog, offerSdp({ port: peer.port, payloads, extra: rtpmaps }));
    const ok = await client.waitForResponse(dialog.callId, 'INVITE', 200);
    dialog.toTag = toTagOf(ok);
    client.ack(dialog, true);
    return { peer, answer: ok.body, port: Number(/^m=audio (\d+) /m.exec(ok.body)?.[1]) };
  };
  const wideband: SipCodec[] = ['G722', 'PCMU', 'L16/16000'];

  beforeAll(() => {
    engine = new MediaEngine({ logger });
    calls = new CallRegistry();
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    heard = [];
    session = undefined;
  });
  afterAll(() => engine.stop());

  describe.each(cases)('beside $codec', (c) => {
    const { encode, decode } = codecOf(c);
    const frameTicks = (c.rtpClockHz * FRAME_MS) / 1000;

    it('sends the bot\'s silence as CN at the codec\'s clock: a SID with its level, updates every 200 ms, then audio with the marker, then a SID at -127 dBov', async () => {
      const { peer, answer } = await call(c.payloads, c.rtpmaps, wideband);
      expect(answer).toMatch(new RegExp(`^m=audio \\d+ RTP/AVP ${c.payloadType} 101 ${c.comfortNoisePayloadType}\\r?$`, 'm'));
      expect(answer).toContain(`a=rtpmap:${c.comfortNoisePayloadType} CN/${c.rtpClockHz}`);
      const isCn = (p: { header: { payloadType: number } }): boolean => p.header.payloadType === c.comfortNoisePayloadType;
      await expect.poll(() => peer.received.some((r) => isCn(r.packet) && r.packet.payload[0] === 127 && r.packet.header.timestamp !== peer.received[0]!.packet.header.timestamp), { timeout: 5000 }).toBe(true);

      const packets = peer.received.map((r) => r.packet);
      const firstAudio = packets.findIndex((p) => p.header.payloadType === c.payloadType);
      expect(firstAudio).toBeGreaterThan(0);
      // Audio only for the tone: the quiet second before it went out as CN alone.
      const sids = packets.slice(0, firstAudio).filter((p) => isCn(p) && p.payload[0] === BOT_NOISE_LEVEL);
      expect(packets.slice(0, firstAudio).every((p) => isCn(p) && p.payload.length === 1)).toBe(true);
      expect(sids.length).toBeGreaterThanOrEqual(4);
      // SIDs step by 200 ms of the codec's RTP clock: 1600 ticks for G.711 and G.722, 3200 for L16/16000.
      for (let i = 1; i < sids.length; i++) expect(sids[i]!.header.timestamp - sids[i - 1]!.header.timestamp).toBe((c.rtpClockHz * SID_UPDATE_MS) / 1000);
      // RFC 3551 section 4.1: the first packet of the talkspurt after the silence carries the marker.
      expect(packets[firstAudio]!.header.marker).toBe(true);
      const audio = packets.filter((p) => p.header.payloadType === c.payloadType);
      expect(audio.filter((p) => p.header.marker)).toHaveLength(1);
      // 400 ms of tone in 20 ms packets, the tone itself and not noise.
      expect(audio.length).toBe(400 / FRAME_MS);
      expect(rms(Int16Array.from(audio.flatMap((p) => [...decode(p.payload)])))).toBeGreaterThan(4000);
      // After the tone, digital silence: the next SID says -127 dBov, on the frame after the tone.
      const after = packets[packets.indexOf(audio.at(-1)!) + 1]!;
      expect(isCn(after)).toBe(true);
      expect(after.payload[0]).toBe(127);
      expect(after.header.timestamp - audio.at(-1)!.header.timestamp).toBe(frameTicks);
    });

    it('fills the caller\'s CN pause with noise at the SID\'s level for the bot, not loss', async () => {
      const { peer, port } = await call(c.payloads, c.rtpmaps, wideband);
      const payloads = frames(tone(400, c.pcmRateHz, 8000), (c.pcmRateHz * FRAME_MS) / 1000).map(encode);
      await peer.stream(payloads, port, { payloadType: c.payloadType, ssrc: 0x3389, samplesPerFrame: frameTicks, firstSeq: 0, firstTimestamp: 0 });
      // RFC 3389 section 4: the SID follows the talkspurt's last packet in sequence and time.
      peer.send({ payloadType: c.comfortNoisePayloadType, ssrc: 0x3389, sequenceNumber: payloads.length, timestamp: payloads.length * frameTicks }, Uint8Array.of(CALLER_CN_LEVEL), port);
      const toneFrames = (): number => heard.filter((pcm) => rms(pcm) > 3000).length;
      await expect.poll(() => toneFrames(), { timeout: 5000 }).toBeGreaterThanOrEqual(18);
      const pauseStart = heard.length;
      await expect.poll(() => heard.length - pauseStart, { timeout: 5000 }).toBeGreaterThanOrEqual(40);
      // Past the tone's tail: the pause's frames carry noise within 2 dB of -40 dBov, never silence.
      const pause = heard.slice(pauseStart + 10, pauseStart + 40);
      for (const frame of pause) expect(Math.abs(dbov(rms(frame)) + CALLER_CN_LEVEL)).toBeLessThan(2);
      // At the leg's sampling rate: a level-only SID is flat over the codec's whole band, 0-8 kHz
      // for G.722 and L16/16000 (the power of x[n] - x[n-1] is twice x's for white noise), 0-4 kHz
      // for G.711 resampled to the bot's 16 kHz (2 - 4/pi = 0.73 times).
      const noise = Int16Array.from(pause.flatMap((frame) => [...frame]));
      const slope = rms(Float64Array.from(noise.subarray(1), (x, i) => x - noise[i]!)) ** 2 / rms(noise) ** 2;
      expect(Math.abs(slope - (c.pcmRateHz === BOT_RATE_HZ ? 2 : 2 - 4 / Math.PI))).toBeLessThan(0.3);
      // The SID played as CN through the pause, not as concealment.
      const jitter = session!.stats().jitter!;
      expect(jitter.comfortNoisePackets).toBe(1);
      expect(jitter.comfortNoiseMs).toBeGreaterThan(600);
      expect(jitter.lost).toBeLessThanOrEqual(LATE_FRAMES_UNDER_LOAD);
    });
  });

  it('answers Opus without CN, and takes an Opus DTX pause (a 1-byte packet per 400 ms) as silence: no loss, no concealment, the delay target kept', async () => {
    const { peer, answer, port } = await call('111 101 13', ['a=rtpmap:13 CN/8000'], ['opus']);
    expect(answer).not.toContain('CN/');
    const encoder = new OpusEncoder({ sampleRateHz: 48000, fec: false });
    const speech = frames(tone(600, 48000, 8000), 960).map((frame) => encoder.encode(frame));
    const targets: number[] = [];
    await expect.poll(() => session).toBeDefined();
    session!.on('audio', () => void targets.push(session!.stats().jitter!.targetDelayMs));
    let seq = 0;
    let timestamp = 0;
    const talkspurt = async (): Promise<void> => {
      await peer.stream(speech, port, { payloadType: 111, ssrc: 0xd7c, samplesPerFrame: 960, firstSeq: seq, firstTimestamp: timestamp });
      seq += speech.length;
      timestamp += speech.length * 960;
    };
    await talkspurt();
    const pauseStart = targets.length;
    // libopus in DTX, as libwebrtc sends it: a 1-byte packet (TOC only) when the pause starts and
    // every 400 ms; 1.6 s of pause, the RTP clock running on.
    for (let k = 0; k < 4; k++) {
      peer.send({ payloadType: 111, ssrc: 0xd7c, sequenceNumber: seq++, timestamp }, Uint8Array.of(0x08), port);
      timestamp += 400 * 48;
      await new Promise((resolve) => setTimeout(resolve, 400)); // the pause's shape on the wire
    }
    await talkspurt();
    await expect.poll(() => heard.filter((pcm) => rms(pcm) > 3000).length, { timeout: 5000 }).toBeGreaterThanOrEqual(2 * speech.length - 4);
    const jitter = session!.stats().jitter!;
    expect(jitter.comfortNoisePackets).toBe(4);
    expect(jitter.lost).toBeLessThanOrEqual(LATE_FRAMES_UNDER_LOAD);
    // Without DTX handling each 400 ms gap would start with up to 200 ms of concealment.
    expect(jitter.expandMs).toBeLessThanOrEqual(LATE_FRAMES_UNDER_LOAD * FRAME_MS);
    // The gaps did not read as 400 ms delay spikes.
    expect(Math.max(...targets.slice(pauseStart))).toBeLessThan(TARGET_DELAY_UNDER_LOAD_MS);
  });

  it('sends silence as audio when the caller did not offer CN, or only at another clock than its codec\'s', async () => {
    for (const [payloads, rtpmaps, payloadType] of [['0 101', [], 0], ['9 101 105', ['a=rtpmap:105 CN/16000'], 9]] as const) {
      const { peer, answer } = await call(payloads, [...rtpmaps], wideband);
      expect(answer).not.toContain('CN/');
      await peer.waitFor(60);
      expect(peer.received.slice(0, 60).every((r) => r.packet.header.payloadType === payloadType)).toBe(true);
    }
  });
});

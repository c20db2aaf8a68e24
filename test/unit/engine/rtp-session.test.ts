// An RTP media session's packet rules on a manual clock (transport 'external': packets in through
// ingest with their arrival time, out through the tick's sink): payload-type check, outbound
// seq/timestamp continuity and marker bits, RFC 4733 DTMF both ways.
import alawmulaw from 'alawmulaw';
import { RtpPacket } from 'werift';
import { afterEach, describe, expect, it } from 'vitest';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import type { MediaSession } from '../../../engine/media/media-session.js';
import type { RtpSessionOptions } from '../../../engine/media/media-session-options.js';
import { OpusDecoder } from '../../../engine/native/opus.js';
import { bestAlignment, rmsDbfs } from '../../support/signal-metrics.js';
import { renderSpeech } from '../../support/speech.js';
import { sine } from '../../support/test-signals.js';
import { rtpBytes } from '../../support/trace-player.js';

const START_US = 1_000_000;
const FRAME_US = 20_000;

interface Harness {
  engine: MediaEngine;
  session: MediaSession;
  sent: RtpPacket[];
  heard: Int16Array[];
  nowUs: number;
  callerFrames: number;
  tick(frames?: number): void;
}

let harness: Harness | undefined;
afterEach(() => harness?.engine.stop());

function open(options: Partial<RtpSessionOptions> = {}): Harness {
  const engine = new MediaEngine({ clock: 'manual' });
  const sent: RtpPacket[] = [];
  const { session } = engine.createRtpSession(
    'rtp-test',
    { codec: 'PCMU', botRateHz: 8000, transport: 'external', bargeIn: false, ...options },
    { startUs: START_US, onOutbound: (packets) => sent.push(...packets.map((p) => RtpPacket.deSerialize(p))) },
  );
  const heard: Int16Array[] = [];
  session.on('audio', (pcm) => heard.push(pcm.slice()));
  const h: Harness = {
    engine,
    session,
    sent,
    heard,
    nowUs: START_US,
    callerFrames: 0,
    tick(frames = 1) {
      for (let i = 0; i < frames; i++) {
        engine.tick(h.nowUs);
        h.nowUs += FRAME_US;
      }
    },
  };
  harness = h;
  return h;
}

const tone = (hz: number, samples: number): Int16Array => sine(samples, 8000, hz, 8000);

// Caller packets: one PCMU frame per tick, so the leg latches and stays active.
function feedCaller(h: Harness, frames: number): void {
  const payload = alawmulaw.mulaw.encode(tone(440, 160));
  for (let i = 0; i < frames; i++) {
    const n = h.callerFrames++;
    h.session.ingest(rtpBytes({ payloadType: 0, ssrc: 0xc0ffee, sequenceNumber: 100 + n, timestamp: 8000 + n * 160 }, payload), h.nowUs);
    h.tick();
  }
}

describe('RTP session packet rules', () => {
  it('counts and drops packets of a payload type that was not negotiated', () => {
    const h = open();
    const noise = Uint8Array.from({ length: 160 }, (_, i) => (i * 97) & 0xff);
    const signal = tone(440, 50 * 160);
    for (let i = 0; i < 50; i++) {
      const payload = alawmulaw.mulaw.encode(signal.subarray(i * 160, i * 160 + 160));
      h.session.ingest(rtpBytes({ payloadType: 0, ssrc: 7, sequenceNumber: i, timestamp: i * 160 }, payload), h.nowUs);
      // PCMA noise on the same SSRC and timestamps: must not replace or duplicate the PCMU audio.
      h.session.ingest(rtpBytes({ payloadType: 8, ssrc: 7, sequenceNumber: 1000 + i, timestamp: i * 160 }, noise), h.nowUs);
      h.tick();
    }
    h.tick(10);
    const stats = h.session.stats();
    expect(stats.wrongPayloadType).toBe(50);
    expect(stats.jitter!.duplicates).toBe(0);
    const heard = Int16Array.from(h.heard.flatMap((f) => [...f]));
    expect(bestAlignment(signal.subarray(0, 40 * 160), heard, 0, 2000).correlation).toBeGreaterThan(0.95);
  });

  it('plays every sample when the caller switches from 20 ms to 30 ms packets and back mid-call', () => {
    const h = open();
    const signal = tone(440, 100 * 160);
    // 20 ms packets, then 30 ms ones (a re-INVITE changing ptime), then 20 ms again.
    const sizes = [...Array<number>(20).fill(160), ...Array<number>(30).fill(240), ...Array<number>(25).fill(160)];
    let at = 0;
    const packets = sizes.map((size, i) => {
      const packet = { bytes: rtpBytes({ payloadType: 0, ssrc: 9, sequenceNumber: i, timestamp: at }, alawmulaw.mulaw.encode(signal.subarray(at, at + size))), sendUs: (at / 8) * 1000 };
      at += size;
      return packet;
    });
    for (let next = 0; h.nowUs < START_US + (at / 8) * 1000 + 200_000; h.tick()) {
      while (next < packets.length && START_US + packets[next]!.sendUs <= h.nowUs) h.session.ingest(packets[next++]!.bytes, h.nowUs);
    }
    const { lost, discarded, late } = h.session.stats().jitter!;
    expect({ lost, discarded, late }).toEqual({ lost: 0, discarded: 0, late: 0 });
    const heard = Int16Array.from(h.heard.flatMap((f) => [...f]));
    const { lag, correlation } = bestAlignment(signal.subarray(0, at), heard, 0, 2000);
    expect(correlation).toBeGreaterThan(0.95);
    // Nothing repeated or skipped: the tone plays on for exactly its length after the lag.
    expect(rmsDbfs(heard, lag + at - 160, lag + at)).toBeGreaterThan(rmsDbfs(signal) - 3);
    // Concealment after the last packet fades out: the decoder's within 60 ms (G.711 Appendix I),
    // the noise shaped like the tone that the buffer fades it into 3 dB per 10 ms from 20 ms on,
    // so 20 dB down from 100 ms (docs/jitter-buffer.md, Operations).
    expect(rmsDbfs(heard, lag + at + 800, lag + at + 1040)).toBeLessThan(rmsDbfs(signal) - 20);
  });

  it('detects speech on a PCMU leg feeding a 16 kHz bot (its 8 kHz frames analysed): starts in the speech, stops after it', () => {
    const h = open({ botRateHz: 16000 });
    const speech = renderSpeech('Hello, I would like to talk to somebody.', { rateHz: 8000 });
    const hiss = (samples: number): Int16Array => Int16Array.from({ length: samples }, (_, i) => ((i * 7919) % 61) - 30);
    const line = Int16Array.from([...hiss(8000), ...speech, ...hiss(16000)]);
    const events: Array<{ kind: string; frame: number }> = [];
    let frame = 0;
    h.session.on('speechStarted', () => events.push({ kind: 'started', frame }));
    h.session.on('speechStopped', () => events.push({ kind: 'stopped', frame }));
    const frames = Math.floor(line.length / 160);
    for (; frame < frames; frame++) {
      const payload = alawmulaw.mulaw.encode(line.subarray(frame * 160, frame * 160 + 160));
      h.session.ingest(rtpBytes({ payloadType: 0, ssrc: 11, sequenceNumber: frame, timestamp: frame * 160 }, payload), h.nowUs);
      h.tick();
    }
    expect(h.heard[0]).toHaveLength(320);
    // espeak-ng pads its output with silence: the speech is where the samples are loud.
    const loud = (x: number): boolean => Math.abs(x) > 300;
    const speechStart = (8000 + speech.findIndex(loud)) / 160;
    const speechEnd = (8000 + speech.length - 1 - speech.slice().reverse().findIndex(loud)) / 160;
    const started = events.find((e) => e.kind === 'started');
    const stopped = events.filter((e) => e.kind === 'stopped').at(-1);
    // Not before the caller speaks (a jitter-buffer delay or two after), and not long after.
    expect(started!.frame).toBeGreaterThanOrEqual(speechStart);
    expect(started!.frame).toBeLessThan(speechStart + 15);
    // Quiet again within the hangover (160 ms) plus the buffer's delay once the speech ends.
    expect(stopped!.frame).toBeGreaterThan(speechEnd);
    expect(stopped!.frame).toBeLessThan(speechEnd + 30);
    expect(events.at(-1)!.kind).toBe('stopped');
  });

  it('keeps seq and timestamp continuous across talkspurts and sent silence, marker on each talkspurt start', () => {
    const h = open();
    feedCaller(h, 5);
    h.session.play(tone(300, 10 * 160));
    feedCaller(h, 15);
    h.session.play(tone(300, 5 * 160));
    feedCaller(h, 10);
    const audio = h.sent.filter((p) => p.header.payloadType === 0);
    expect(audio.length).toBe(30);
    for (let i = 1; i < audio.length; i++) {
      expect((audio[i]!.header.sequenceNumber - audio[i - 1]!.header.sequenceNumber) & 0xffff).toBe(1);
      expect((audio[i]!.header.timestamp - audio[i - 1]!.header.timestamp) >>> 0).toBe(160);
    }
    const markers = audio.flatMap((p, i) => (p.header.marker ? [i] : []));
    expect(markers).toEqual([5, 20]);
  });

  it('advances the timestamp over unsent silence, keeps seq consecutive, and marks the resumed talkspurt', () => {
    const h = open({ sendSilence: false });
    feedCaller(h, 2);
    h.session.play(tone(300, 4 * 160));
    feedCaller(h, 14);
    h.session.play(tone(300, 4 * 160));
    feedCaller(h, 6);
    const audio = h.sent;
    expect(audio.length).toBe(8);
    expect(audio.map((p) => p.header.marker)).toEqual([true, false, false, false, true, false, false, false]);
    for (let i = 1; i < audio.length; i++) {
      expect((audio[i]!.header.sequenceNumber - audio[i - 1]!.header.sequenceNumber) & 0xffff).toBe(1);
    }
    // 4 frames played, then 10 silent frames not sent: the clock ran on (RFC 3550 section 5.1).
    expect((audio[4]!.header.timestamp - audio[3]!.header.timestamp) >>> 0).toBe(11 * 160);
  });

  it('advances the outbound timestamp over frames skipped when a tick falls far behind', () => {
    const h = open();
    const ticks: Array<{ nowUs: number; from: number }> = [];
    const tickAt = (nowUs: number): void => {
      ticks.push({ nowUs, from: h.sent.length });
      h.engine.tick(nowUs);
    };
    feedCaller(h, 3);
    h.session.play(tone(300, 100 * 160));
    tickAt(h.nowUs);
    // 40 frames late in one tick: the session sends at most its per-tick batch, skips the rest.
    const lateUs = h.nowUs + 40 * FRAME_US;
    tickAt(lateUs);
    tickAt(lateUs + FRAME_US);
    tickAt(lateUs + 2 * FRAME_US);
    const skipped = h.session.stats().skippedFrames;
    expect(skipped).toBeGreaterThan(0);
    const audio = h.sent.filter((p) => p.header.payloadType === 0);
    expect(audio.length).toBe(h.sent.length);
    // After the jump, each packet is stamped with its frame's sampling instant (RFC 3550 section
    // 5.1): the media time elapsed since the first tick, skipped frames included.
    const first = ticks[0]!;
    const base = audio[first.from]!.header.timestamp;
    for (const tick of ticks.slice(2)) {
      const packet = audio[tick.from]!;
      expect((packet.header.timestamp - base) >>> 0).toBe(((tick.nowUs - first.nowUs) / FRAME_US) * 160);
    }
    // Within the late tick, packets stay 160 apart; across the skip, the gap is the skipped time.
    const late = audio.slice(ticks[1]!.from, ticks[2]!.from);
    expect(late.length + skipped).toBe(40);
    expect((audio[ticks[2]!.from]!.header.timestamp - late[late.length - 1]!.header.timestamp) >>> 0).toBe((1 + skipped) * 160);
    for (let i = first.from + 1; i < audio.length; i++) {
      expect((audio[i]!.header.sequenceNumber - audio[i - 1]!.header.sequenceNumber) & 0xffff).toBe(1);
    }
  });

  it('codes an Opus leg at a 16 kHz bot\'s rate while the RTP clock stays 48 kHz (RFC 7587 section 4.1)', () => {
    const h = open({ codec: 'opus', payloadType: 111, botRateHz: 16000, sendSilence: false });
    const speech = renderSpeech('Opus at the bot rate.', { rateHz: 16000 });
    const frames = Math.floor(speech.length / 320);
    h.session.play(speech.subarray(0, frames * 320));
    h.tick(frames + 5);
    expect(h.sent.length).toBe(frames);
    for (let i = 1; i < h.sent.length; i++) expect((h.sent[i]!.header.timestamp - h.sent[i - 1]!.header.timestamp) >>> 0).toBe(960);
    // A 16 kHz reference decoder hears the bot's speech delayed by Opus's own 6.5 ms (104 samples,
    // RFC 6716 section 2) and no more: a 16 <-> 48 kHz resampler pair on the leg added ~1.8 ms.
    const decoder = new OpusDecoder(16000);
    const heard = Int16Array.from(h.sent.flatMap((p) => [...decoder.decode(p.payload)]));
    const { lag, correlation } = bestAlignment(speech.subarray(0, heard.length), heard, 0, 320);
    expect(correlation).toBeGreaterThan(0.9);
    expect(lag).toBeLessThanOrEqual(110);
  });

  it('marks the next talkspurt and keeps the media clock running when the bot speaks before the caller has sent anything', () => {
    const h = open({ sendSilence: false });
    h.session.play(tone(300, 4 * 160));
    h.tick(14);
    h.session.play(tone(300, 4 * 160));
    h.tick(6);
    expect(h.sent.map((p) => p.header.marker)).toEqual([true, false, false, false, true, false, false, false]);
    expect((h.sent[4]!.header.timestamp - h.sent[3]!.header.timestamp) >>> 0).toBe(11 * 160);
  });

  it('sends a DTMF digit as RFC 4733 events: marker first, one timestamp, growing duration, end sent three times', () => {
    const h = open({ telephoneEventPayloadType: 101 });
    feedCaller(h, 2);
    h.session.sendDtmf('5');
    feedCaller(h, 12);
    const events = h.sent.filter((p) => p.header.payloadType === 101);
    expect(events.length).toBe(5 - 1 + 3);
    expect(events.map((p) => p.header.marker)).toEqual([true, false, false, false, false, false, false]);
    expect(new Set(events.map((p) => p.header.timestamp)).size).toBe(1);
    const parsed = events.map((p) => ({ event: p.payload[0], end: (p.payload[1]! & 0x80) !== 0, duration: p.payload.readUInt16BE(2) }));
    expect(parsed.every((e) => e.event === 5)).toBe(true);
    expect(parsed.map((e) => e.duration)).toEqual([160, 320, 480, 640, 800, 800, 800]);
    expect(parsed.map((e) => e.end)).toEqual([false, false, false, false, true, true, true]);
    // Seq runs on through audio and events alike.
    for (let i = 1; i < h.sent.length; i++) {
      expect((h.sent[i]!.header.sequenceNumber - h.sent[i - 1]!.header.sequenceNumber) & 0xffff).toBe(1);
    }
  });

  it('reports one digit for an RFC 4733 event, whatever its updates and repeated end packets', () => {
    const h = open({ telephoneEventPayloadType: 101 });
    const digits: Array<[string, number]> = [];
    h.session.on('dtmf', (digit, durationMs) => digits.push([digit, durationMs]));
    feedCaller(h, 2);
    const event = (duration: number, end: boolean): Uint8Array => Uint8Array.from([7, (end ? 0x80 : 0) | 10, duration >> 8, duration & 0xff]);
    const updates = [
      [160, false],
      [320, false],
      [480, false],
      [640, true],
      [640, true],
      [640, true],
    ] as const;
    updates.forEach(([duration, end], i) => {
      h.session.ingest(rtpBytes({ payloadType: 101, ssrc: 0xc0ffee, sequenceNumber: 500 + i, timestamp: 99_000, marker: i === 0 }, event(duration, end)), h.nowUs);
      h.tick();
    });
    h.tick(20);
    expect(digits).toEqual([['7', 80]]);
  });
});

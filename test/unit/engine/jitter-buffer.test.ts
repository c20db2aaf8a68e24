// The adaptive jitter buffer through a real native media session on a manual clock: simulated
// arrival traces in, caller audio out, all in media time. Frames carry their sender index (L16 at
// 8 kHz to an 8 kHz bot is bit-exact), so the audio says which packet played when.
import { OpusEncoder } from '@discordjs/opus';
import alawmulaw from 'alawmulaw';
import { afterEach, describe, expect, it } from 'vitest';
import { indexedPayload } from '../../../bench/jitter/trace-scoring.js';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import type { NativeSessionStats } from '../../../engine/media/media-engine-binding.js';
import type { MediaSession } from '../../../engine/media/media-session.js';
import type { RtpSessionOptions } from '../../../engine/media/media-session-options.js';
import { generateTrace, type ImpairmentProfile, type Trace, type TracePacket } from '../../support/network-impairment.js';
import { seededRandom } from '../../support/seeded-random.js';
import { playTrace, type PlayedFrame } from '../../support/trace-player.js';
import { rmsDbfs } from '../../support/signal-metrics.js';
import { renderSpeech } from '../../support/speech.js';

const START_US = 1_000_000;
let engine: MediaEngine | undefined;
afterEach(() => engine?.stop());

function l16Session(options: Partial<RtpSessionOptions> = {}): MediaSession {
  engine = new MediaEngine({ clock: 'manual' });
  return engine.createRtpSession(
    'jitter-test',
    { codec: 'L16/8000', botRateHz: 8000, transport: 'external', bargeIn: false, sendSilence: false, ...options },
    { startUs: START_US, onOutbound: () => {} },
  ).session;
}

function indexOf(pcm: Int16Array): number | undefined {
  return pcm[0] === 0x5a5a ? pcm[1]! + pcm[2]! * 32768 : undefined;
}

function playedIndices(frames: PlayedFrame[]): Played {
  return frames.flatMap((frame) => {
    const index = indexOf(frame.pcm);
    return index === undefined ? [] : [{ index, timeUs: frame.timeUs - START_US }];
  });
}

type Played = Array<{ index: number; timeUs: number }>;

function playIndexed(session: MediaSession, profile: ImpairmentProfile): { trace: Trace; played: Played } {
  const trace = generateTrace(profile);
  const frames = playTrace(engine!, session, trace, { payloadType: 96, startUs: START_US, payloadOf: indexedPayload });
  return { trace, played: playedIndices(frames) };
}

// Every packet played once, in order, one per 20 ms tick: no hole between consecutive packets.
function expectEveryFrameOnceInOrder(played: Played, frames: number): void {
  expect(played.map((p) => p.index)).toEqual([...Array(frames).keys()]);
  for (let i = 1; i < played.length; i++) expect(played[i]!.timeUs - played[i - 1]!.timeUs).toBe(20_000);
}

// A trace whose jitter sigma changes over time: [untilS, sigmaMs] steps.
function steppedTrace(steps: Array<[number, number]>, seed: number): Trace {
  const random = seededRandom(seed);
  const packets: TracePacket[] = [];
  const frames = steps.at(-1)![0] * 50;
  let fifoUs = 0;
  for (let index = 0; index < frames; index++) {
    const sendUs = index * 20_000;
    const sigmaMs = steps.find(([untilS]) => sendUs < untilS * 1e6)![1];
    const gauss = Math.abs(Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random()));
    fifoUs = Math.max(fifoUs, Math.round(sendUs + 30_000 + gauss * sigmaMs * 1000));
    packets.push({ index, seq: index & 0xffff, timestamp: index * 160, sendUs, arrivalUs: fifoUs, duplicate: false });
  }
  return { name: 'stepped', frames, baseDelayUs: 30_000, ptimeUs: 20_000, packets, lost: 0 };
}

describe('adaptive jitter buffer (media time)', () => {
  it('plays reordered and duplicated packets once each, in order, without gaps', () => {
    const session = l16Session({ jitterMinDelayMs: 100 });
    const { trace, played } = playIndexed(session, {
      name: 'reorder',
      seed: 11,
      durationS: 20,
      jitter: { kind: 'gaussian', sigmaMs: 5 },
      reorderProbability: 0.05,
      duplicateProbability: 0.05,
    });
    expectEveryFrameOnceInOrder(played, trace.frames);
    const stats = session.stats().jitter!;
    expect(stats.reordered).toBeGreaterThan(10);
    expect(stats.duplicates).toBe(trace.packets.filter((p) => p.duplicate).length);
    expect(stats.late).toBe(0);
  });

  it('conceals lost PCMU frames with continuing audio instead of silence holes', () => {
    const session = l16Session({ codec: 'PCMU' });
    const tone = Int16Array.from({ length: 8000 * 20 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 300 * i) / 8000)));
    const trace = generateTrace({ name: 'loss', seed: 12, durationS: 20, loss: { pGoodToBad: 0.05, pBadToGood: 1 } });
    const frames = playTrace(engine!, session, trace, {
      payloadType: 0,
      startUs: START_US,
      payloadOf: (p) => alawmulaw.mulaw.encode(tone.subarray(p.index * 160, p.index * 160 + 160)),
      tailMs: 0,
    });
    const toneDb = rmsDbfs(tone);
    const audible = frames.findIndex((f) => rmsDbfs(f.pcm) > toneDb - 3);
    const levels = frames.slice(audible, -2).map((f) => rmsDbfs(f.pcm));
    expect(trace.lost).toBeGreaterThan(20);
    expect(session.stats().jitter!.lost).toBe(trace.lost);
    // Single-frame losses concealed by G.711 Appendix I-style repetition: at most a few dB of fade.
    expect(Math.min(...levels)).toBeGreaterThan(toneDb - 6);
  });

  // At 16 kHz the decoder runs at the bot's rate (no resampler on the leg): FEC must work there too.
  it.each([48000, 16000] as const)('fills lost Opus speech frames from the next packet\'s in-band FEC, without holes (%i Hz bot)', (botRateHz) => {
    const speech = renderSpeech('Concealment keeps the words flowing when a packet goes missing.', { rateHz: 48000 });
    const encoder = new OpusEncoder(48000, 1);
    // As a browser sends speech: VoIP application, voice signal, 24 kb/s, so SILK with LBRR (the
    // in-band FEC lives in SILK frames only, RFC 6716 section 4.2.4).
    encoder.applyEncoderCTL(4000, 2048); // OPUS_SET_APPLICATION(OPUS_APPLICATION_VOIP)
    encoder.applyEncoderCTL(4024, 3001); // OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE)
    encoder.setBitrate(24000);
    encoder.applyEncoderCTL(4012, 1); // OPUS_SET_INBAND_FEC
    encoder.applyEncoderCTL(4014, 20); // OPUS_SET_PACKET_LOSS_PERC: makes the encoder spend bits on FEC
    const count = Math.floor(speech.length / 960);
    const payloads = Array.from({ length: count }, (_, i) => encoder.encode(Buffer.from(speech.buffer, i * 960 * 2, 960 * 2)));
    const durationS = (count * 20) / 1000;
    const run = (lossy: boolean): { frames: PlayedFrame[]; stats: NativeSessionStats } => {
      const session = l16Session({ codec: 'opus', botRateHz });
      const trace = generateTrace({
        name: 'opus',
        seed: 21,
        durationS,
        clockRateHz: 48000,
        loss: lossy ? { pGoodToBad: 0.08, pBadToGood: 1 } : undefined,
      });
      const frames = playTrace(engine!, session, trace, { payloadType: 111, startUs: START_US, payloadOf: (p) => payloads[p.index]!, tailMs: 0 });
      const stats = session.stats();
      engine!.stop();
      return { frames, stats };
    };
    const clean = run(false);
    const lossy = run(true);
    // No jitter: both runs play packet k at the same tick, so frames compare position by position.
    const lostAt = lossy.frames.flatMap((frame, i) => {
      const reference = clean.frames[i];
      return reference !== undefined && rmsDbfs(frame.pcm) !== rmsDbfs(reference.pcm) && rmsDbfs(reference.pcm) > -35 ? [i] : [];
    });
    const jitter = lossy.stats.jitter!;
    expect(jitter.lost).toBeGreaterThan(5);
    expect(jitter.fecRecovered).toBe(jitter.lost);
    expect(lostAt.length).toBeGreaterThan(5);
    for (const i of lostAt) expect(rmsDbfs(lossy.frames[i]!.pcm)).toBeGreaterThan(rmsDbfs(clean.frames[i]!.pcm) - 12);
  });

  it('raises the delay within a second of a jitter step up and lowers it after a step down', () => {
    const session = l16Session();
    const trace = steppedTrace([[10, 2], [20, 40], [80, 2]], 13);
    const targetAtMs = new Map<number, number>();
    playTrace(engine!, session, trace, {
      payloadType: 96,
      startUs: START_US,
      payloadOf: indexedPayload,
      beforeTick: (nowUs) => {
        const ms = (nowUs - START_US) / 1000;
        if (ms % 500 === 0) targetAtMs.set(ms, session.stats().jitter!.targetDelayMs);
      },
    });
    expect(targetAtMs.get(9_500)).toBeLessThanOrEqual(30);
    expect(targetAtMs.get(11_000)).toBeGreaterThan(60); // fast attack
    expect(targetAtMs.get(21_000)).toBeGreaterThan(60); // slow decay: not gone at once
    expect(targetAtMs.get(79_500)).toBeLessThanOrEqual(30); // but gone in the end
  });

  it('carries on across the sequence number wrap 65535→0 and the timestamp wrap 2^32→0', () => {
    const session = l16Session();
    // Both counters wrap a second into the call.
    const wrapping = { firstSeq: 65_500, firstTimestamp: 2 ** 32 - 160 * 60 };
    const { trace, played } = playIndexed(session, { name: 'wrap', seed: 14, durationS: 4, jitter: { kind: 'gaussian', sigmaMs: 3 }, ...wrapping });
    expectEveryFrameOnceInOrder(played, trace.frames);
    const stats = session.stats().jitter!;
    expect({ late: stats.late, discarded: stats.discarded, reordered: stats.reordered }).toEqual({ late: 0, discarded: 0, reordered: 0 });
  });

  it('recovers from a timestamp jump within one target delay', () => {
    const session = l16Session();
    const before = generateTrace({ name: 'a', seed: 15, durationS: 3, jitter: { kind: 'gaussian', sigmaMs: 3 } });
    const jumpAtUs = 3_000_000;
    // The same stream continues with its timestamp 10 s ahead (a PBX re-anchoring).
    const after = generateTrace({ name: 'b', seed: 16, durationS: 3, jitter: { kind: 'gaussian', sigmaMs: 3 }, firstTimestamp: 90_000 + 80_000 + 150 * 160, firstSeq: 1150 });
    const shifted = after.packets.map((p) => ({ ...p, index: p.index + 10_000, sendUs: p.sendUs + jumpAtUs, arrivalUs: p.arrivalUs + jumpAtUs }));
    const trace: Trace = { ...before, frames: before.frames + after.frames, packets: [...before.packets, ...shifted] };
    let targetMs = 0;
    const played = playedIndices(
      playTrace(engine!, session, trace, {
        payloadType: 96,
        startUs: START_US,
        payloadOf: indexedPayload,
        beforeTick: (nowUs) => {
          if (nowUs - START_US < jumpAtUs) targetMs = session.stats().jitter!.targetDelayMs;
        },
      }),
    );
    const firstAfter = played.find((p) => p.index >= 10_000)!;
    const firstArrival = shifted[0]!.arrivalUs;
    expect(firstAfter.index).toBe(10_000);
    expect(firstAfter.timeUs - firstArrival).toBeLessThanOrEqual((targetMs + 20) * 1000);
    expect(played.filter((p) => p.index >= 10_000).length).toBe(after.frames);
    expect(session.stats().jitter!.resyncs).toBe(1);
  });

  it('accepts a new SSRC after the old one went quiet and plays it within one target delay', () => {
    // Whole packets, so the index tags say when each played (time stretching may fade over one).
    const session = l16Session({ jitterTimeStretch: false });
    const first = generateTrace({ name: 'a', seed: 17, durationS: 2, jitter: { kind: 'gaussian', sigmaMs: 3 } });
    const second = generateTrace({ name: 'b', seed: 18, durationS: 2, jitter: { kind: 'gaussian', sigmaMs: 3 }, firstSeq: 7, firstTimestamp: 12_345 });
    playTrace(engine!, session, first, { payloadType: 96, ssrc: 0xaaaa, startUs: START_US, payloadOf: indexedPayload, tailMs: 300 });
    const targetMs = session.stats().jitter!.targetDelayMs;
    const offsetUs = Math.ceil((first.packets.at(-1)!.arrivalUs + 320_000) / 20_000) * 20_000;
    const played = playedIndices(
      playTrace(engine!, session, second, {
        payloadType: 96,
        ssrc: 0xbbbb,
        startUs: START_US + offsetUs,
        payloadOf: (p) => indexedPayload({ ...p, index: p.index + 5000 }),
      }),
    );
    expect(session.stats().ssrcChanges).toBe(1);
    const firstPlayedUs = played.find((p) => p.index === 5000)!.timeUs + START_US;
    const firstArrivalUs = START_US + offsetUs + second.packets[0]!.arrivalUs;
    expect(firstPlayedUs - firstArrivalUs).toBeLessThanOrEqual((targetMs + 20) * 1000);
    expect(played.filter((p) => p.index >= 5000).length).toBe(second.frames);
  });

  it.each([500, -500])('holds the delay steady under %d ppm of sender clock drift', (skewPpm) => {
    const session = l16Session();
    const trace = generateTrace({ name: 'drift', seed: 19, durationS: 120, jitter: { kind: 'gaussian', sigmaMs: 3 }, skewPpm });
    const delays: number[] = [];
    playTrace(engine!, session, trace, {
      payloadType: 96,
      startUs: START_US,
      payloadOf: indexedPayload,
      beforeTick: (nowUs) => {
        if (nowUs - START_US > 5_000_000 && nowUs - START_US < 119_000_000) delays.push(session.stats().jitter!.currentDelayMs);
      },
    });
    const stats = session.stats().jitter!;
    // 120 s at 500 ppm is 60 ms of drift: without correction the delay would move by that much.
    // Over the 30 ms band the drain first waits for a quiet packet (decision_logic.cc,
    // kQuietDrainLeewayMs: cutting a vowel at the band's edge cost LSD on the bench's +500 ppm
    // and Asterisk 15 ms traces), and this audio, a constant with tags, has neither a pause nor
    // a pitch: it waits the whole 10 ms leeway, then the voiced drain fails its attempts and
    // whole frames go (2 dropped, no accelerate). Measured: +500 ppm max 60.19 ms for a target
    // of 20 (target + 40.2; target + 31 before the leeway), -500 ppm 19.52-29.89 ms.
    expect(Math.max(...delays)).toBeLessThanOrEqual(stats.targetDelayMs + 41);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(stats.targetDelayMs - 5);
    expect(stats.late).toBeLessThanOrEqual(3);
  });
});

// Plays a trace whose packets carry a speech-like source (G.711 mu-law, 8 kHz) through a real
// native session on a manual clock, ticking every 20 ms whatever the packet duration, in either
// jitter-buffer mode; returns what the bot heard and the buffer's stats. The packets are built
// before the clock starts, so timing a player (cpu-side-by-side.ts) times the session's work
// (ingest, jitter buffer, decode, stretch, tick), not the bench's.
import { MediaEngine } from '../../engine/media/media-engine.js';
import type { NativeSessionStats } from '../../engine/media/media-engine-binding.js';
import type { MediaSession } from '../../engine/media/media-session.js';
import { decodeUlaw, encodeUlaw } from '../../engine/native/g711.js';
import { OpusDecoder, OpusEncoder } from '../../engine/native/opus.js';
import type { Trace, TracePacket } from '../../test/support/network-impairment.js';
import { rtpBytes } from '../../test/support/trace-player.js';
import { speechSource, SOURCE_RATE_HZ } from './speech-source.js';
import { clickThreshold, type SourceTimeline } from './audio-quality.js';

const TICK_US = 20_000;
const FRAME_SAMPLES = 160;
const START_US = 1_000_000;
const TAIL_US = 600_000;

export interface SilencePacket {
  payloadType: number;
  payload: Uint8Array;
}

// A packet of a speech trace: its samples (a talkspurt's short last frame has fewer), or a
// silence packet (CN, Opus DTX) that carries no source audio.
export type SpeechTracePacket = TracePacket & { samples?: number; silence?: SilencePacket };

export type SpeechCodec = 'PCMU' | 'opus';
const PAYLOAD_TYPE: Record<SpeechCodec, number> = { PCMU: 0, opus: 111 };

export interface SpeechPlan {
  codec: SpeechCodec;
  timeline: SourceTimeline;
  packets: Array<{ arrivalUs: number; bytes: Buffer }>;
  uniqueAudioPackets: number;
}

// Places every sender packet's samples one after another in a synthetic source, and builds the
// RTP packets that carry them.
export function planSpeech(trace: Trace, seed: number, codec: SpeechCodec = 'PCMU'): SpeechPlan {
  const packets = trace.packets as SpeechTracePacket[];
  const samplesPerPacket = Math.round((trace.ptimeUs * SOURCE_RATE_HZ) / 1_000_000);
  const byIndex = new Map<number, SpeechTracePacket>();
  for (const packet of packets) if (!byIndex.has(packet.index)) byIndex.set(packet.index, packet);
  const starts = new Float64Array(trace.frames + 1);
  const sendUs = new Float64Array(trace.frames);
  for (let index = 0; index < trace.frames; index++) {
    const packet = byIndex.get(index);
    const samples = packet?.silence !== undefined ? 0 : (packet?.samples ?? samplesPerPacket);
    starts[index + 1] = starts[index]! + samples;
    sendUs[index] = packet?.sendUs ?? (index > 0 ? sendUs[index - 1]! + (starts[index]! - starts[index - 1]!) * (1_000_000 / SOURCE_RATE_HZ) : 0);
  }
  const source = speechSource(starts[trace.frames]!, seed);
  const sendUsAt = (sample: number): number => {
    let lo = 0;
    let hi = trace.frames - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= sample) lo = mid;
      else hi = mid - 1;
    }
    return sendUs[lo]! + ((sample - starts[lo]!) * 1_000_000) / SOURCE_RATE_HZ;
  };
  // Encoded once per packet index, in order (Opus is stateful); duplicates reuse the bytes.
  const payloads = new Map<number, Uint8Array>();
  const coded = new Int16Array(source.length);
  const encoder = codec === 'opus' ? new OpusEncoder({ sampleRateHz: 8000, bitrateBps: 24_000, fec: false }) : undefined;
  const decoder = codec === 'opus' ? new OpusDecoder(8000) : undefined;
  for (let index = 0; index < trace.frames; index++) {
    const pcm = source.subarray(starts[index]!, starts[index + 1]!);
    if (pcm.length === 0) continue;
    const payload = encoder !== undefined ? encoder.encode(pcm) : encodeUlaw(pcm);
    payloads.set(index, payload);
    coded.set(decoder !== undefined ? decoder.decode(payload) : decodeUlaw(payload), starts[index]!);
  }
  const built = packets.map((packet) => {
    const payload = packet.silence?.payload ?? payloads.get(packet.index)!;
    const header = { payloadType: packet.silence?.payloadType ?? PAYLOAD_TYPE[codec], ssrc: 0x5eed, sequenceNumber: packet.seq, timestamp: packet.timestamp, marker: packet.marker ?? false };
    return { arrivalUs: packet.arrivalUs, bytes: rtpBytes(header, payload) };
  });
  const audio = [...byIndex.values()].filter((packet) => packet.silence === undefined).length;
  return {
    codec,
    timeline: { coded, sendUsAt, baseDelayUs: trace.baseDelayUs, clickThreshold: clickThreshold(coded) },
    packets: built,
    uniqueAudioPackets: audio,
  };
}

export interface SpeechRun {
  audio: Int16Array;
  startUs: number; // of the first output sample, on the trace's clock
  stats: NonNullable<NativeSessionStats['jitter']>;
  durationS: number;
  // With `sampleDelay`: the buffer's delay and target before every tick.
  delays: Array<{ timeS: number; delayMs: number; targetMs: number }>;
}

// One native session in either mode, fed the plan's packets as the manual clock reaches their
// arrival, so a run can be timed whole or tick by tick (cpu-side-by-side.ts).
export class SpeechPlayer {
  static readonly startUs = START_US;
  static readonly tickUs = TICK_US;
  readonly session: MediaSession;
  readonly endUs: number;
  readonly durationS: number;
  private readonly engine = new MediaEngine({ clock: 'manual' });
  private next = 0;

  constructor(
    private readonly plan: SpeechPlan,
    timeStretch: boolean,
  ) {
    const options = { codec: plan.codec, payloadType: PAYLOAD_TYPE[plan.codec], botRateHz: 8000, transport: 'external', bargeIn: false, sendSilence: false, jitterTimeStretch: timeStretch } as const;
    this.session = this.engine.createRtpSession('bench-speech', options, { startUs: START_US, onOutbound: () => {} }).session;
    this.endUs = START_US + (plan.packets.at(-1)?.arrivalUs ?? 0) + TAIL_US;
    this.durationS = (this.endUs - START_US) / 1e6;
  }

  // The packets that have arrived by `nowUs`.
  ingestDue(nowUs: number): void {
    const { packets } = this.plan;
    while (this.next < packets.length && START_US + packets[this.next]!.arrivalUs <= nowUs) {
      const packet = packets[this.next++]!;
      this.session.ingest(packet.bytes, START_US + packet.arrivalUs);
    }
  }

  tick(nowUs: number): void {
    this.engine.tick(nowUs);
  }

  stop(): void {
    this.engine.stop();
  }
}

export function runSpeech(plan: SpeechPlan, timeStretch: boolean, sampleDelay = false): SpeechRun {
  const player = new SpeechPlayer(plan, timeStretch);
  const { session } = player;
  const frames: Int16Array[] = [];
  let firstTickUs = -1;
  let nowUs = START_US;
  session.on('audio', (pcm: Int16Array) => {
    if (firstTickUs < 0) firstTickUs = nowUs;
    frames.push(pcm.slice());
  });
  const delays: SpeechRun['delays'] = [];
  for (; nowUs <= player.endUs; nowUs += TICK_US) {
    player.ingestDue(nowUs);
    if (sampleDelay) {
      const { currentDelayMs, targetDelayMs } = session.stats().jitter!;
      delays.push({ timeS: (nowUs - START_US) / 1e6, delayMs: currentDelayMs, targetMs: targetDelayMs });
    }
    player.tick(nowUs);
  }
  const stats = session.stats().jitter!;
  player.stop();
  const audio = new Int16Array(frames.length * FRAME_SAMPLES);
  frames.forEach((frame, i) => audio.set(frame, i * FRAME_SAMPLES));
  return { audio, startUs: firstTickUs - START_US, stats, durationS: player.durationS, delays };
}

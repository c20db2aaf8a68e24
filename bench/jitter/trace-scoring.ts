// Scores one simulated trace through three buffers side by side: Parley's adaptive jitter buffer
// (the real native session on a manual clock) and two fixed-delay baselines computed here.
//
// Every frame carries its sender index in its samples (L16 at 8 kHz to an 8 kHz bot: no codec
// loss, no resampling), so the audio the bot receives says which packet played at which tick.
// Added delay of a played packet = its playout tick − (its send time + the path's base delay):
// what the listener waits beyond the unavoidable one-way delay. Late loss = packets that arrived
// but never played (too late, or dropped to shrink the delay), over packets sent.
import { MediaEngine } from '../../engine/media/media-engine.js';
import type { Trace, TracePacket } from '../../test/support/network-impairment.js';
import { playTrace } from '../../test/support/trace-player.js';

const MAGIC = 0x5a5a;
const FRAME_SAMPLES = 160;

export interface BufferScore {
  late_loss_pct: number;
  mean_delay_ms: number;
  p95_delay_ms: number;
}

export interface TraceScore extends BufferScore {
  name: string;
  concealed_pct: number;
  network_loss_pct: number;
  fixed60: BufferScore;
  fixed120: BufferScore;
}

function check(index: number): number {
  return Math.imul(index, 7919) & 0x7fff;
}

// L16 is big-endian on the wire (RFC 3551 section 4.5.11).
export function indexedPayload(packet: TracePacket): Uint8Array {
  const samples = new Int16Array(FRAME_SAMPLES).fill(1000);
  samples[0] = MAGIC;
  samples[1] = packet.index & 0x7fff;
  samples[2] = packet.index >> 15;
  samples[3] = check(packet.index);
  const bytes = new Uint8Array(FRAME_SAMPLES * 2);
  const view = new DataView(bytes.buffer);
  samples.forEach((sample, i) => view.setInt16(2 * i, sample, false));
  return bytes;
}

function indexOf(pcm: Int16Array): number | undefined {
  if (pcm[0] !== MAGIC) return undefined;
  const index = pcm[1]! + pcm[2]! * 32768;
  return pcm[3] === check(index) ? index : undefined;
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

const round2 = (value: number): number => Math.round(value * 100) / 100;

function summarise(trace: Trace, playoutUs: Map<number, number>, sendUs: Map<number, number>): BufferScore {
  const delaysMs = [...playoutUs].map(([index, atUs]) => (atUs - sendUs.get(index)! - trace.baseDelayUs) / 1000);
  const late = sendUs.size - playoutUs.size;
  return {
    late_loss_pct: round2((100 * late) / trace.frames),
    mean_delay_ms: round2(delaysMs.reduce((sum, d) => sum + d, 0) / Math.max(1, delaysMs.length)),
    p95_delay_ms: round2(percentile(delaysMs, 0.95)),
  };
}

function earliestArrivals(trace: Trace): { arrivalUs: Map<number, number>; sendUs: Map<number, number> } {
  const arrivalUs = new Map<number, number>();
  const sendUs = new Map<number, number>();
  for (const packet of trace.packets) {
    if (!arrivalUs.has(packet.index)) arrivalUs.set(packet.index, packet.arrivalUs);
    sendUs.set(packet.index, packet.sendUs);
  }
  return { arrivalUs, sendUs };
}

// A fixed buffer: the first packet to arrive plays `delayMs` later (on the 20 ms tick grid), and
// every later frame one tick after the previous; a packet arriving after its tick is lost.
export function scoreFixed(trace: Trace, delayMs: number): BufferScore {
  const { arrivalUs, sendUs } = earliestArrivals(trace);
  const first = trace.packets[0]!;
  const firstTickUs = Math.ceil((first.arrivalUs + delayMs * 1000) / trace.ptimeUs) * trace.ptimeUs;
  const playoutUs = new Map<number, number>();
  for (const [index, atUs] of arrivalUs) {
    const dueUs = firstTickUs + (index - first.index) * trace.ptimeUs;
    if (atUs <= dueUs) playoutUs.set(index, dueUs);
  }
  return summarise(trace, playoutUs, sendUs);
}

export function scoreAdaptive(trace: Trace): BufferScore & { concealed_pct: number } {
  const engine = new MediaEngine({ clock: 'manual' });
  const startUs = 1_000_000;
  const { session } = engine.createRtpSession(
    `bench-${trace.name}`,
    { codec: 'L16/8000', botRateHz: 8000, transport: 'external', bargeIn: false, sendSilence: false },
    { startUs, onOutbound: () => {} },
  );
  const frames = playTrace(engine, session, trace, { payloadType: 96, startUs, payloadOf: indexedPayload });
  engine.stop();

  const { sendUs } = earliestArrivals(trace);
  const playoutUs = new Map<number, number>();
  let firstPlayed = -1;
  let lastPlayed = -1;
  frames.forEach((frame, position) => {
    const index = indexOf(frame.pcm);
    if (index === undefined || playoutUs.has(index)) return;
    playoutUs.set(index, frame.timeUs - startUs);
    if (firstPlayed < 0) firstPlayed = position;
    lastPlayed = position;
  });
  // Between the first and the last played packet, every other frame was concealment.
  const span = lastPlayed - firstPlayed + 1;
  return { ...summarise(trace, playoutUs, sendUs), concealed_pct: round2((100 * (span - playoutUs.size)) / span) };
}

export function scoreTrace(trace: Trace): TraceScore {
  const adaptive = scoreAdaptive(trace);
  const fixed = (delayMs: number): BufferScore => scoreFixed(trace, delayMs);
  return {
    name: trace.name,
    ...adaptive,
    network_loss_pct: round2((100 * trace.lost) / trace.frames),
    fixed60: fixed(60),
    fixed120: fixed(120),
  };
}

// Scores one simulated trace through three buffers side by side: Parley's adaptive jitter buffer
// (the real native session on a manual clock) and two fixed-delay baselines computed here.
//
// Every frame carries its sender index in its samples (L16 at 8 kHz to an 8 kHz bot: no codec
// loss, no resampling), so the audio the bot receives says which packet played at which tick.
// Added delay of a played packet = its playout tick − (its send time + the path's base delay):
// what the listener waits beyond the unavoidable one-way delay. Late loss = packets that arrived
// but never played (too late, or dropped to shrink the delay), over packets sent. Packets that do
// not start on a frame boundary (talkspurts re-anchored after a timestamp restart, short last
// frames) are found wherever their tag starts in the audio, so their playout time is exact too.
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

// L16 is big-endian on the wire (RFC 3551 section 4.5.11). A talkspurt's short last frame keeps
// its `samples` (at least the four of the tag).
export function indexedPayload(packet: TracePacket & { samples?: number }): Uint8Array {
  const samples = new Int16Array(packet.samples ?? FRAME_SAMPLES).fill(1000);
  samples[0] = MAGIC;
  samples[1] = packet.index & 0x7fff;
  samples[2] = packet.index >> 15;
  samples[3] = check(packet.index);
  const bytes = new Uint8Array(samples.length * 2);
  const view = new DataView(bytes.buffer);
  samples.forEach((sample, i) => view.setInt16(2 * i, sample, false));
  return bytes;
}

// Every tagged packet in the audio, wherever it starts: its index and the sample it starts at.
export function tagsIn(pcm: Int16Array): Array<{ index: number; at: number }> {
  const tags: Array<{ index: number; at: number }> = [];
  for (let at = 0; at + 3 < pcm.length; at++) {
    if (pcm[at] !== MAGIC) continue;
    const index = pcm[at + 1]! + pcm[at + 2]! * 32768;
    if (pcm[at + 3] === check(index)) tags.push({ index, at });
  }
  return tags;
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
// every later frame one tick after the previous; a packet arriving after its tick is lost. With
// talkspurts (marker bits), it starts over at each one, `delayMs` after its first packet arrives.
export function scoreFixed(trace: Trace, delayMs: number): BufferScore {
  const { arrivalUs, sendUs } = earliestArrivals(trace);
  const markers = new Set(trace.packets.filter((p) => p.marker === true).map((p) => p.index));
  const first = trace.packets[0]!;
  let anchor = { index: first.index, sendUs: first.sendUs, tickUs: Math.ceil((first.arrivalUs + delayMs * 1000) / trace.ptimeUs) * trace.ptimeUs };
  const playoutUs = new Map<number, number>();
  for (const [index, atUs] of [...arrivalUs].sort(([a], [b]) => a - b)) {
    if (markers.has(index)) anchor = { index, sendUs: sendUs.get(index)!, tickUs: Math.ceil((atUs + delayMs * 1000) / trace.ptimeUs) * trace.ptimeUs };
    const dueUs = markers.size > 0 ? anchor.tickUs + sendUs.get(index)! - anchor.sendUs : anchor.tickUs + (index - anchor.index) * trace.ptimeUs;
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
  const audio = new Int16Array(frames.length * FRAME_SAMPLES);
  frames.forEach((frame, position) => audio.set(frame.pcm, position * FRAME_SAMPLES));
  const playoutUs = new Map<number, number>();
  const startsIn = new Set<number>();
  for (const { index, at } of tagsIn(audio)) {
    if (playoutUs.has(index)) continue;
    const position = Math.floor(at / FRAME_SAMPLES);
    playoutUs.set(index, frames[position]!.timeUs - startUs + Math.round(((at % FRAME_SAMPLES) * 1_000_000) / 8000));
    startsIn.add(position);
  }
  // Between the first and the last played packet, every frame where none starts is concealment;
  // with talkspurts, only those that are not silence (pauses are the sender's, not losses).
  const positions = [...startsIn];
  const firstPlayed = Math.min(...positions);
  const lastPlayed = Math.max(...positions);
  const talkspurts = trace.packets.some((p) => p.marker === true);
  let concealed = 0;
  for (let position = firstPlayed; position <= lastPlayed; position++) {
    if (startsIn.has(position)) continue;
    if (!talkspurts || frames[position]!.pcm.some((sample) => sample !== 0)) concealed++;
  }
  const span = lastPlayed - firstPlayed + 1;
  return { ...summarise(trace, playoutUs, sendUs), concealed_pct: round2((100 * concealed) / span) };
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

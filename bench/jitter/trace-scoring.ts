// Scores one simulated trace through four buffers side by side: Parley's adaptive jitter buffer
// with time stretching (new) and with whole-frame adaptation (previous, jitterTimeStretch false),
// both the real native session on a manual clock fed a speech-like source (speech-run.ts, scored
// by audio-quality.ts), and two fixed-delay baselines computed here from the packets' times.
//
// Added delay = when the audio played − (when it was sent + the path's base delay): what the
// listener waits beyond the unavoidable one-way delay. Late loss = packets that arrived but never
// played (too late, or dropped to shrink the delay), over packets sent.
//
// indexedPayload/tagsIn tag L16 frames with their sender index for tests that check exactly where
// each whole packet played (test/unit/engine/jitter-*.test.ts).
import type { Trace, TracePacket } from '../../test/support/network-impairment.js';
import { round2 } from '../side-by-side.js';
import { scoreAudio, type AudioScore } from './audio-quality.js';
import { cpuSideBySide } from './cpu-side-by-side.js';
import { planSpeech, runSpeech, type SpeechCodec, type SpeechPlan, type SpeechTracePacket } from './speech-run.js';

const MAGIC = 0x5a5a;
// Each trace's CPU ratio: fewer rounds than the headline one (jitter.bench.ts), fifteen traces of them.
const TRACE_CPU_ROUNDS = 7;
const FRAME_SAMPLES = 160;

export interface BufferScore {
  late_loss_pct: number;
  mean_delay_ms: number;
  p95_delay_ms: number;
}

export interface TraceScore extends AdaptiveScore {
  name: string;
  network_loss_pct: number;
  // CPU per call-second of both modes side by side (cpu-side-by-side.ts), and new over previous.
  cpu_us_per_call_second: number;
  cpu_ratio_vs_previous: number;
  // The previous buffer: the same native buffer with jitterTimeStretch false (whole-frame drops
  // and inserts, the decoder's concealment, no merge), on the same packets in the same run.
  previous: AdaptiveScore & { cpu_us_per_call_second: number };
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
  for (const packet of trace.packets as SpeechTracePacket[]) {
    if (packet.silence !== undefined) continue; // CN and DTX packets carry no audio to play
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

export interface AdaptiveScore extends BufferScore, AudioScore {
  whole_frame_changes_per_min: number;
  concealed_pct: number; // of the trace's duration: concealment for loss, lateness or underrun
  accelerate_per_min: number;
  preemptive_expand_per_min: number;
}

// One mode of the adaptive buffer on the trace's speech. Late loss: packets that arrived but
// never played (late, or dropped to shrink the delay), from the buffer's own count of packets
// played; delay and quality from the audio (audio-quality.ts).
function scoreMode(plan: SpeechPlan, trace: Trace, timeStretch: boolean): AdaptiveScore {
  const run = runSpeech(plan, timeStretch);
  const audio = scoreAudio(run.audio, run.startUs, plan.timeline);
  const minutes = run.durationS / 60;
  const { stats } = run;
  return {
    late_loss_pct: round2((100 * Math.max(0, plan.uniqueAudioPackets - (stats.played - stats.comfortNoisePackets))) / trace.frames),
    ...audio,
    whole_frame_changes_per_min: round2((stats.framesDropped + stats.framesInserted) / minutes),
    concealed_pct: round2(stats.expandMs / 10 / run.durationS),
    accelerate_per_min: round2(stats.accelerate / minutes),
    preemptive_expand_per_min: round2(stats.preemptiveExpand / minutes),
  };
}

// Java's String.hashCode: a seed per trace name, so each trace has its own speech.
function seedOf(name: string): number {
  let hash = 0;
  for (const char of name) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) | 0;
  return hash >>> 0;
}

export function scoreTrace(trace: Trace, codec: SpeechCodec = 'PCMU'): TraceScore {
  const plan = planSpeech(trace, seedOf(trace.name), codec);
  const previous = scoreMode(plan, trace, false);
  const stretched = scoreMode(plan, trace, true);
  const fixed = (delayMs: number): BufferScore => scoreFixed(trace, delayMs);
  const cpu = cpuSideBySide(plan, TRACE_CPU_ROUNDS);
  return {
    name: trace.name,
    ...stretched,
    network_loss_pct: round2((100 * trace.lost) / trace.frames),
    cpu_us_per_call_second: cpu.new_us_per_call_second,
    cpu_ratio_vs_previous: cpu.ratio,
    previous: { ...previous, cpu_us_per_call_second: cpu.previous_us_per_call_second },
    fixed60: fixed(60),
    fixed120: fixed(120),
  };
}

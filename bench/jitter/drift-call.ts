// A two-hour call whose sender clock runs 200 ppm fast or slow (1.44 s of drift over the call),
// simulated in seconds on the manual clock: the jitter buffer must absorb the drift as it goes,
// so its delay at the end is what it was at the start. The caller sends a steady voiced tone
// (each packet four periods of 200 Hz, so packets join seamlessly); the delay is sampled once a
// second from the session's stats.
import { MediaEngine } from '../../engine/media/media-engine.js';
import { encodeUlaw } from '../../engine/native/g711.js';
import { generateTrace } from '../../test/support/network-impairment.js';
import { round2 } from '../side-by-side.js';

const START_US = 1_000_000;
const TICK_US = 20_000;
const SAMPLE_EVERY_TICKS = 50;
const WINDOW_S = 600; // first and last ten minutes

export interface DriftModeScore {
  late_loss_pct: number;
  delay_first_10min_ms: number;
  delay_last_10min_ms: number;
  delay_max_after_1min_ms: number;
  whole_frame_changes_per_min: number;
  accelerate_per_min: number;
  preemptive_expand_per_min: number;
}

export interface DriftScore {
  name: string;
  duration_h: number;
  skew_ppm: number;
  new: DriftModeScore;
  previous: DriftModeScore;
  delays_per_minute_ms: { new: number[]; previous: number[] };
}

const tone = encodeUlaw(Int16Array.from({ length: 160 }, (_, i) => Math.round(6000 * Math.sin((2 * Math.PI * 200 * i) / 8000))));

// RFC 3550 section 5.1 fixed header, no CSRC, no extension; written here because 720,000 packets
// through werift's serializer (trace-player's rtpBytes) cost more than the calls themselves.
function rtp(seq: number, timestamp: number): Uint8Array {
  const packet = new Uint8Array(12 + tone.length);
  const view = new DataView(packet.buffer);
  view.setUint8(0, 0x80);
  view.setUint8(1, 0);
  view.setUint16(2, seq);
  view.setUint32(4, timestamp);
  view.setUint32(8, 0xd1f7);
  packet.set(tone, 12);
  return packet;
}

const mean = (values: number[]): number => values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length);

function run(packets: Array<{ arrivalUs: number; bytes: Uint8Array }>, frames: number, timeStretch: boolean): { score: DriftModeScore; perMinute: number[] } {
  const engine = new MediaEngine({ clock: 'manual' });
  const { session } = engine.createRtpSession(
    'bench-drift',
    { codec: 'PCMU', botRateHz: 8000, transport: 'external', bargeIn: false, sendSilence: false, jitterTimeStretch: timeStretch },
    { startUs: START_US, onOutbound: () => {} },
  );
  const delays: number[] = [];
  const endUs = START_US + packets.at(-1)!.arrivalUs + 500_000;
  let next = 0;
  for (let nowUs = START_US, tick = 0; nowUs <= endUs; nowUs += TICK_US, tick++) {
    while (next < packets.length && START_US + packets[next]!.arrivalUs <= nowUs) session.ingest(packets[next]!.bytes, START_US + packets[next++]!.arrivalUs);
    engine.tick(nowUs);
    if (tick % SAMPLE_EVERY_TICKS === 0) delays.push(session.stats().jitter!.currentDelayMs);
  }
  const stats = session.stats().jitter!;
  engine.stop();
  const minutes = (endUs - START_US) / 60e6;
  const perMinute = Array.from({ length: Math.floor(delays.length / 60) }, (_, m) => round2(mean(delays.slice(m * 60, m * 60 + 60))));
  return {
    perMinute,
    score: {
      late_loss_pct: round2((100 * (frames - stats.played)) / frames),
      delay_first_10min_ms: round2(mean(delays.slice(60, WINDOW_S))),
      delay_last_10min_ms: round2(mean(delays.slice(-WINDOW_S))),
      delay_max_after_1min_ms: round2(Math.max(...delays.slice(60))),
      whole_frame_changes_per_min: round2((stats.framesDropped + stats.framesInserted) / minutes),
      accelerate_per_min: round2(stats.accelerate / minutes),
      preemptive_expand_per_min: round2(stats.preemptiveExpand / minutes),
    },
  };
}

export function scoreDriftCall(skewPpm: number, durationS = 7200): DriftScore {
  const name = `drift-2h-${skewPpm > 0 ? 'plus' : 'minus'}-${Math.abs(skewPpm)}ppm`;
  const trace = generateTrace({ name, seed: 20 + Math.sign(skewPpm), durationS, jitter: { kind: 'gaussian', sigmaMs: 4 }, skewPpm });
  const packets = trace.packets.map((p) => ({ arrivalUs: p.arrivalUs, bytes: rtp(p.seq, p.timestamp) }));
  const stretched = run(packets, trace.frames, true);
  const previous = run(packets, trace.frames, false);
  return {
    name,
    duration_h: durationS / 3600,
    skew_ppm: skewPpm,
    new: stretched.score,
    previous: previous.score,
    delays_per_minute_ms: { new: stretched.perMinute, previous: previous.perMinute },
  };
}

// Live media metrics for /metrics: the native counters of every media engine (per session, summed
// over live and ended sessions, and the engine's own drops), read once per scrape through
// prom-client collect() callbacks, never per packet or per frame; and the 20 ms tick's duration
// and lateness. Labels are closed sets named here, never per call.
import type { Counter, Gauge } from 'prom-client';
import { counter, gauge, histogram } from '../metrics.js';

export type MediaCounterValues = Readonly<Record<string, number>>;

// Native slots that are gauges of the moment (not summed into the totals of stopped engines).
const GAUGES = new Set(['liveSessions', 'jitterDelayMeanMs', 'jitterDelayMaxMs']);

// One engine's counters: `read` fills a Float64Array in `names` order (MediaEngine.readCounters).
export class MediaCounterSource {
  private readonly now: Float64Array;
  // What was already counted in `departed` when the engine stopped (it may start again).
  private readonly baseline: Float64Array;

  constructor(
    private readonly names: readonly string[],
    private readonly read: (out: Float64Array) => void,
  ) {
    this.now = new Float64Array(names.length);
    this.baseline = new Float64Array(names.length);
  }

  // Adds this engine's values to `into`.
  addTo(into: Record<string, number>): void {
    this.read(this.now);
    for (let i = 0; i < this.names.length; i++) {
      const name = this.names[i]!;
      into[name] = (into[name] ?? 0) + this.now[i]! - (GAUGES.has(name) ? 0 : this.baseline[i]!);
    }
  }

  attach(): void {
    sources.add(this);
  }

  // The engine stopped: its counts so far stay in the totals.
  detach(): void {
    if (!sources.delete(this)) return;
    this.read(this.now);
    for (let i = 0; i < this.names.length; i++) {
      const name = this.names[i]!;
      if (GAUGES.has(name)) continue;
      departed[name] = (departed[name] ?? 0) + this.now[i]! - this.baseline[i]!;
      this.baseline[i] = this.now[i]!;
    }
  }
}

const sources = new Set<MediaCounterSource>();
const departed: Record<string, number> = {};

// The sum over every engine, read once per scrape: a scrape runs every metric's collect() in one
// synchronous pass, so the first one reads and the others reuse that snapshot until the pass ends.
// A gathering that yields between metrics (a worker's report, in slices) holds one snapshot for
// its whole length instead: cleared between awaits, it was read again for every metric (14 reads
// of every session's counters per report).
let snapshot: MediaCounterValues | undefined;
// Gatherings under way that hold the snapshot (two reports may overlap: the last one at shutdown).
let holders = 0;
function current(): MediaCounterValues {
  if (snapshot) return snapshot;
  const totals: Record<string, number> = { ...departed };
  for (const source of sources) source.addTo(totals);
  snapshot = totals;
  // Checked again when it runs: a gathering that began since holds the snapshot it took.
  if (holders === 0) queueMicrotask(() => {
    if (holders === 0) snapshot = undefined;
  });
  return totals;
}

// Runs `gather` with the media counters read once, at its first metric, for all of it (and for
// any gathering that overlaps it).
export async function withOneMediaSnapshot<T>(gather: () => Promise<T>): Promise<T> {
  if (holders++ === 0) snapshot = undefined;
  try {
    return await gather();
  } finally {
    if (--holders === 0) snapshot = undefined;
  }
}

// A counter whose labelled values are set from the snapshot at each scrape (prom-client counters
// have no set(): reset, then add the current total).
function collectedCounter(name: string, help: string, label: string | undefined, slots: Record<string, string>): Counter<string> {
  return counter(name, help, label ? [label] : [], function (this: Counter<string>) {
    const values = current();
    this.reset();
    for (const [value, slot] of Object.entries(slots)) {
      const total = values[slot] ?? 0;
      if (label) this.inc({ [label]: value }, total);
      else this.inc(total);
    }
  });
}

function collectedGauge(name: string, help: string, label: string | undefined, slots: Record<string, string>): Gauge<string> {
  return gauge(name, help, label ? [label] : [], function (this: Gauge<string>) {
    const values = current();
    for (const [value, slot] of Object.entries(slots)) {
      if (label) this.set({ [label]: value }, values[slot] ?? 0);
      else this.set(values[slot] ?? 0);
    }
  });
}

collectedCounter('parley_media_packets_total', 'RTP packets of all calls (live and ended), by direction', 'direction', { in: 'packetsReceived', out: 'packetsSent' });
collectedCounter('parley_media_packets_dropped_total', 'Inbound RTP packets dropped, by reason', 'reason', {
  malformed: 'malformed',
  srtp_failed: 'srtpFailed',
  foreign_source: 'foreignSource',
  foreign_ssrc: 'foreignSsrc',
  wrong_payload_type: 'wrongPayloadType',
  decode_error: 'decodeErrors',
});
collectedCounter('parley_jitter_buffer_events_total', 'Jitter-buffer outcomes of all calls (lost, late, concealed ...)', 'event', {
  lost: 'jitterLost',
  late: 'jitterLate',
  concealed: 'jitterConcealed',
  discarded: 'jitterDiscarded',
  duplicates: 'jitterDuplicates',
  reordered: 'jitterReordered',
  fec_recovered: 'jitterFecRecovered',
  resyncs: 'jitterResyncs',
  // Whole-frame adaptation (the previous buffer's only means; spikes in the new one).
  frames_dropped: 'jitterFramesDropped',
  frames_inserted: 'jitterFramesInserted',
  comfort_noise_packets: 'jitterComfortNoisePackets',
  // The operations on decoded audio (docs/jitter-buffer.md): how often they ran ...
  accelerate: 'jitterAccelerate',
  preemptive_expand: 'jitterPreemptiveExpand',
  expand: 'jitterExpand',
  merge: 'jitterMerge',
});
// ... and how much audio they took out (accelerate) or made (preemptive expand, expand, comfort noise).
collectedCounter('parley_jitter_buffer_operation_seconds_total', 'Audio the jitter buffer removed or generated, by operation', 'operation', {
  accelerate: 'jitterAccelerateSeconds',
  preemptive_expand: 'jitterPreemptiveExpandSeconds',
  expand: 'jitterExpandSeconds',
  comfort_noise: 'jitterComfortNoiseSeconds',
});
collectedCounter('parley_media_engine_dropped_total', 'Media the engine dropped, by what (datagrams, events, frames)', 'what', {
  // Outbound datagrams the kernel refused (sendmmsg sent fewer than queued).
  datagrams_send_refused: 'datagramsSendRefused',
  // Outbound RTP with no remote yet, or refused by the transport.
  packets_send_dropped: 'sendDropped',
  // Session events lost to a full native event sink, and to a full JS events array.
  events_sink_full: 'eventsDropped',
  events_js_full: 'eventsTruncated',
  // Caller frames lost to a full JS audio array.
  caller_frames_audio_full: 'audioOverflows',
  // Frames a session skipped because the tick fell too far behind.
  frames_tick_behind: 'skippedFrames',
  // PCM legs (chan_websocket, AudioSocket): outbound frames with nowhere to go.
  pcm_outbound_frames: 'pcmDroppedOutboundFrames',
});
collectedCounter('parley_media_dropped_samples_total', 'Audio samples dropped or missing, by what', 'what', {
  // The bot outran the playout bound (playoutMaxMs).
  bot_playout_overflow: 'botSamplesDropped',
  pcm_caller_overflow: 'pcmOverflowSamples',
  pcm_caller_underrun: 'pcmUnderrunSamples',
});
collectedCounter('parley_media_datagrams_received_total', 'UDP datagrams the engine read from all media sockets', undefined, { total: 'datagramsReceived' });
collectedCounter('parley_media_frames_total', 'Caller frames processed (20 ms each), by kind', 'kind', { processed: 'frames', speech: 'speechFrames', echo: 'echoFrames' });
collectedCounter('parley_speech_frames_total', 'Caller frames the VAD took for speech', undefined, { total: 'speechFrames' });
collectedCounter('parley_barge_ins_total', 'Barge-ins (caller talked over the bot)', undefined, { total: 'bargeIns' });
collectedCounter('parley_rtcp_packets_received_total', 'RTCP packets received', undefined, { total: 'rtcpReceived' });
collectedCounter('parley_media_ssrc_changes_total', 'Caller SSRC changes accepted (stream restarts)', undefined, { total: 'ssrcChanges' });
collectedGauge('parley_media_sessions_live', 'Native media sessions open now', undefined, { total: 'liveSessions' });
collectedGauge('parley_jitter_buffer_live_delay_ms', 'Jitter-buffer delay of the live RTP calls now, mean and max over calls', 'stat', { mean: 'jitterDelayMeanMs', max: 'jitterDelayMaxMs' });

// Tick timing. Buckets in seconds around the 20 ms frame: a tick longer than a frame, or later
// than one, delays every call's audio at once.
const TICK_BUCKETS_S = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16];
const tickDuration = histogram('parley_media_tick_duration_seconds', 'Time one media tick took (the calls of one phase slot, 5 ms apart by default)', TICK_BUCKETS_S);
const tickLateness = histogram('parley_media_tick_lateness_seconds', 'How late a media tick started after its phase-slot boundary', TICK_BUCKETS_S);

// Engine latency, the issue's figure of merit at load: a phase slot's boundary (when its calls'
// frames fall due) -> the tick done, every due frame handed to its bot. Finer buckets below 10 ms,
// where the goal (p99 <= 5 ms at 80 % of capacity) is judged.
const LATENCY_BUCKETS_S = [0.00025, 0.0005, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.006, 0.008, 0.01, 0.015, 0.02, 0.04, 0.08, 0.16];
export const ENGINE_LATENCY_METRIC = 'parley_media_engine_latency_seconds';
const engineLatency = histogram(ENGINE_LATENCY_METRIC, 'Frame due (its phase-slot boundary) to handed to the bot, per media tick', LATENCY_BUCKETS_S);

export function observeTick(durationUs: number, latenessUs: number): void {
  tickDuration.observe(durationUs / 1e6);
  tickLateness.observe(latenessUs / 1e6);
  engineLatency.observe((durationUs + latenessUs) / 1e6);
}

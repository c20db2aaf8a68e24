// Media metrics of the node, fed once per call from its final stats (the native session counts
// per packet; crossing into JS per packet just to count would defeat the batched tick).
import type { NativeSessionStats } from '../media/media-engine-binding.js';
import { counter, histogram } from '../metrics.js';

const packets = counter('parley_media_packets_total', 'RTP packets of ended calls, by direction', ['direction']);
const dropped = counter('parley_media_packets_dropped_total', 'Inbound RTP packets dropped, by reason', ['reason']);
const jitterEvents = counter('parley_jitter_buffer_events_total', 'Jitter-buffer outcomes of ended calls (lost, late, concealed ...)', ['event']);
const bargeIns = counter('parley_barge_ins_total', 'Barge-ins (caller talked over the bot)');
const speechFrames = counter('parley_speech_frames_total', 'Caller frames the VAD took for speech');
const jitterDelay = histogram('parley_jitter_buffer_delay_ms', 'Jitter-buffer target delay at the end of each call', [20, 40, 60, 80, 100, 150, 200, 300, 400]);

export function recordCallMedia(stats: NativeSessionStats): void {
  packets.inc({ direction: 'in' }, stats.packetsReceived ?? 0);
  packets.inc({ direction: 'out' }, stats.packetsSent ?? 0);
  const drops = {
    malformed: stats.malformed,
    srtp_failed: stats.srtpFailed,
    foreign_source: stats.foreignSource,
    foreign_ssrc: stats.foreignSsrc,
    wrong_payload_type: stats.wrongPayloadType,
    decode_error: stats.decodeErrors,
  };
  for (const [reason, count] of Object.entries(drops)) if (count) dropped.inc({ reason }, count);
  if (stats.jitter) {
    const { lost, late, concealed, discarded, duplicates, reordered, fecRecovered } = stats.jitter;
    const events = { lost, late, concealed, discarded, duplicates, reordered, fec_recovered: fecRecovered };
    for (const [event, count] of Object.entries(events)) if (count) jitterEvents.inc({ event }, count);
    jitterDelay.observe(stats.jitter.targetDelayMs);
  }
  bargeIns.inc(stats.bargeIns);
  speechFrames.inc(stats.speechFrames);
}

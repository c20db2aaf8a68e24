// The engine's media counters summed over every session, live and ended, for /metrics: one
// flat array of doubles, filled in one crossing per scrape (never per packet or per frame).
// Names, in array order, come from kMediaCounterNames so that JS never mirrors the layout.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "media/media_refusal.h"
#include "media/media_session.h"
#include "media/pcm_leg.h"
#include "media/rtp_leg.h"

namespace parley {

// Monotonic session counters (ended sessions keep adding to them).
enum MediaCounter : size_t {
  kFrames,
  kSkippedFrames,
  kSpeechFrames,
  kBargeIns,
  kEchoFrames,
  kBotSamplesPlayed,
  kBotSamplesDropped,
  kPacketsReceived,
  kPacketsSent,
  kMalformed,
  kSrtpFailed,
  kForeignSource,
  kForeignSsrc,
  kWrongPayloadType,
  kRtcpReceived,
  kDecodeErrors,
  kSendDropped,
  kSsrcChanges,
  kJitterLate,
  kJitterLost,
  kJitterConcealed,
  kJitterDiscarded,
  kJitterDuplicates,
  kJitterReordered,
  kJitterFecRecovered,
  kJitterResyncs,
  kJitterFramesDropped,
  kJitterFramesInserted,
  kJitterComfortNoisePackets,
  kJitterAccelerate,
  kJitterPreemptiveExpand,
  kJitterExpand,
  kJitterMerge,
  kJitterAccelerateSeconds,
  kJitterPreemptiveExpandSeconds,
  kJitterExpandSeconds,
  kJitterComfortNoiseSeconds,
  kPcmUnderrunSamples,
  kPcmOverflowSamples,
  kPcmDroppedOutboundFrames,
  kSessionCounterCount,
};

inline constexpr const char* kMediaCounterNames[] = {
    "frames", "skippedFrames", "speechFrames", "bargeIns", "echoFrames", "botSamplesPlayed", "botSamplesDropped",
    "packetsReceived", "packetsSent", "malformed", "srtpFailed", "foreignSource", "foreignSsrc", "wrongPayloadType",
    "rtcpReceived", "decodeErrors", "sendDropped", "ssrcChanges", "jitterLate", "jitterLost", "jitterConcealed",
    "jitterDiscarded", "jitterDuplicates", "jitterReordered", "jitterFecRecovered", "jitterResyncs",
    "jitterFramesDropped", "jitterFramesInserted", "jitterComfortNoisePackets", "jitterAccelerate",
    "jitterPreemptiveExpand", "jitterExpand", "jitterMerge", "jitterAccelerateSeconds", "jitterPreemptiveExpandSeconds",
    "jitterExpandSeconds", "jitterComfortNoiseSeconds",
    "pcmUnderrunSamples", "pcmOverflowSamples", "pcmDroppedOutboundFrames",
};
static_assert(sizeof(kMediaCounterNames) / sizeof(kMediaCounterNames[0]) == kSessionCounterCount);

// Adds one session's counters to `out` (kSessionCounterCount doubles). Takes the session
// mutable only because its leg accessor is.
inline void AddSessionCounters(MediaSession& session, double* out) {
  const MediaSession::Stats stats = session.stats();
  out[kFrames] += static_cast<double>(stats.frames);
  out[kSkippedFrames] += static_cast<double>(stats.skipped_frames);
  out[kSpeechFrames] += static_cast<double>(stats.speech_frames);
  out[kBargeIns] += static_cast<double>(stats.barge_ins);
  out[kEchoFrames] += static_cast<double>(stats.echo_frames);
  out[kBotSamplesPlayed] += static_cast<double>(stats.bot_samples_played);
  out[kBotSamplesDropped] += static_cast<double>(stats.bot_samples_dropped);
  if (const RtpLeg* rtp = session.leg().AsRtp()) {
    const RtpLeg::Stats leg = rtp->stats();
    out[kPacketsReceived] += static_cast<double>(leg.packets_received);
    out[kPacketsSent] += static_cast<double>(leg.packets_sent);
    out[kMalformed] += static_cast<double>(leg.refused[static_cast<size_t>(MediaRefusal::kMalformed)]);
    out[kSrtpFailed] += static_cast<double>(leg.refused[static_cast<size_t>(MediaRefusal::kSrtpFailed)]);
    out[kForeignSource] += static_cast<double>(leg.refused[static_cast<size_t>(MediaRefusal::kForeignSource)]);
    out[kForeignSsrc] += static_cast<double>(leg.refused[static_cast<size_t>(MediaRefusal::kForeignSsrc)]);
    out[kWrongPayloadType] += static_cast<double>(leg.refused[static_cast<size_t>(MediaRefusal::kWrongPayloadType)]);
    out[kRtcpReceived] += static_cast<double>(leg.rtcp_received);
    out[kDecodeErrors] += static_cast<double>(leg.decode_errors);
    out[kSendDropped] += static_cast<double>(leg.send_dropped);
    out[kSsrcChanges] += static_cast<double>(leg.ssrc_changes);
    out[kJitterLate] += static_cast<double>(leg.jitter.late);
    out[kJitterLost] += static_cast<double>(leg.jitter.lost);
    out[kJitterConcealed] += static_cast<double>(leg.jitter.concealed_frames);
    out[kJitterDiscarded] += static_cast<double>(leg.jitter.discarded);
    out[kJitterDuplicates] += static_cast<double>(leg.jitter.duplicates);
    out[kJitterReordered] += static_cast<double>(leg.jitter.reordered);
    out[kJitterFecRecovered] += static_cast<double>(leg.jitter.fec_recovered);
    out[kJitterResyncs] += static_cast<double>(leg.jitter.resyncs);
    out[kJitterFramesDropped] += static_cast<double>(leg.jitter.frames_dropped);
    out[kJitterFramesInserted] += static_cast<double>(leg.jitter.frames_inserted);
    out[kJitterComfortNoisePackets] += static_cast<double>(leg.jitter.comfort_noise_packets);
    out[kJitterAccelerate] += static_cast<double>(leg.jitter.accelerate);
    out[kJitterPreemptiveExpand] += static_cast<double>(leg.jitter.preemptive_expand);
    out[kJitterExpand] += static_cast<double>(leg.jitter.expand);
    out[kJitterMerge] += static_cast<double>(leg.jitter.merge);
    out[kJitterAccelerateSeconds] += leg.jitter.accelerate_ms / 1000;
    out[kJitterPreemptiveExpandSeconds] += leg.jitter.preemptive_expand_ms / 1000;
    out[kJitterExpandSeconds] += leg.jitter.expand_ms / 1000;
    out[kJitterComfortNoiseSeconds] += leg.jitter.comfort_noise_ms / 1000;
  } else if (const PcmLeg* pcm = session.leg().AsPcm()) {
    out[kPcmUnderrunSamples] += static_cast<double>(pcm->underrun_samples());
    out[kPcmOverflowSamples] += static_cast<double>(pcm->overflow_samples());
    out[kPcmDroppedOutboundFrames] += static_cast<double>(pcm->dropped_outbound_frames());
  }
}

// The jitter-buffer delay of the live RTP sessions now (gauges, not counters).
struct LiveJitterDelay {
  double sum_ms = 0;
  double max_ms = 0;
  size_t sessions = 0;

  void Add(MediaSession& session) {
    const RtpLeg* rtp = session.leg().AsRtp();
    if (rtp == nullptr) return;
    const double delay_ms = rtp->stats().jitter.current_delay_ms;
    sum_ms += delay_ms;
    max_ms = std::max(max_ms, delay_ms);
    ++sessions;
  }
};

}  // namespace parley

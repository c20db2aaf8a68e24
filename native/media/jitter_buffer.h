// Adaptive jitter buffer for one RTP stream, built the way WebRTC's NetEq is, reduced to what a
// voice bot needs: TimelineMapper places each packet on one continuous playout timeline (across
// wraps, talkspurts, timestamp steps and SSRC changes), PacketBuffer keeps the packets in order
// with their durations, DelayEstimator keeps the base transit and the target delay, and
// DecisionLogic says, piece by piece, what to output next. The leg decodes whole packets into its
// own sample FIFO and asks for more until it holds a frame, so packets of any duration (2.5 to
// 120 ms), a short last frame and timestamps on any grid play without loss.
//
// Time is a parameter (arrival_us, now_us on one monotonic clock), so every behaviour is
// reproducible in tests. Nothing allocates after construction.
#pragma once

#include <cstddef>
#include <cstdint>

#include "media/decision_logic.h"
#include "media/delay_estimator.h"
#include "media/packet_buffer.h"
#include "media/time_scale.h"
#include "media/timeline_mapper.h"

namespace parley {

struct JitterBufferConfig {
  int clock_rate_hz = 8000;
  int frame_ms = 20;
  int min_delay_ms = 20;
  int max_delay_ms = 400;
  size_t capacity_packets = 32;
  size_t max_payload_bytes = 1280;  // Opus's largest 20 ms packet is 1275 bytes
  // Concealment comes in multiples of this (RFC 6716: Opus conceals in 2.5 ms steps).
  int64_t conceal_quantum_ts = 1;
  bool fec = false;  // the codec carries in-band FEC (Opus)
  // Move the delay by stretching decoded audio (JitterPlayout) rather than whole frames.
  bool time_stretch = true;
};

enum class InsertStatus { kAccepted, kDuplicate, kLate, kDiscarded };

enum class PlayoutKind {
  kNormal,          // decode `payload`: `duration_ts` of audio
  kConcealWithFec,  // `duration_ts` is missing just before `payload` (Opus in-band FEC)
  kConceal,         // `duration_ts` is missing: run the decoder's concealment
  kSilence,         // `duration_ts` of silence (before the first packet, or the sender paused)
  kComfortNoise,    // `payload` is an RFC 3389 CN payload: noise for `duration_ts`, then a pause
  kDtx,             // `payload` is an Opus DTX packet: decode it, then a pause
};

struct PlayoutDecision {
  PlayoutKind kind = PlayoutKind::kSilence;
  const uint8_t* payload = nullptr;  // valid until the next Insert or Next
  size_t length = 0;
  int64_t duration_ts = 0;  // RTP timestamp units, > 0
  // kNormal only: > 0, lengthen the decoded audio by up to this (preemptive expand); < 0, shorten
  // it by up to minus this (accelerate).
  int64_t stretch_ts = 0;
  // With stretch_ts > 0: the delay is far below its target (the jitter just rose), so audio with
  // no pitch is lengthened too, by its best lag: the alternative is a frame of concealment.
  bool urgent = false;
  // With stretch_ts < 0: shorten only quiet audio (a pause between words), else play it as it is.
  bool quiet_only = false;
  // With stretch_ts < 0: the delay is far above its target, so a cut may take several pitch
  // periods, or quiet audio, up to 3/4 of the packet (NetEq's fast accelerate).
  bool fast = false;
  // kNormal: sequence numbers were skipped just before this packet (lost, or too late to play).
  bool after_loss = false;
};

struct JitterBufferStats {
  double current_delay_ms = 0;  // how far behind the best-case arrival the last output played
  double target_delay_ms = 0;   // the delay playout is held to: the estimator's, raised for packets shorter than a tick
  uint64_t packets_received = 0;
  uint64_t late = 0;             // arrived after their playout time
  uint64_t lost = 0;             // sequence numbers never played (missing, or late, at playout)
  uint64_t concealed_frames = 0; // frames' worth of concealment (loss, late, stretching)
  uint64_t discarded = 0;        // unusable, no room, or dropped to shrink the delay
  uint64_t duplicates = 0;
  uint64_t reordered = 0;
  uint64_t fec_recovered = 0;
  uint64_t resyncs = 0;          // talkspurts re-anchored: timestamp steps, restarts, new SSRC
  uint64_t played = 0;           // packets decoded (audio, comfort noise and DTX)
  // Whole-frame adaptation in a talkspurt: packets dropped to shrink the delay, and frames of
  // concealment inserted to grow it while a packet was waiting.
  uint64_t frames_dropped = 0;
  uint64_t frames_inserted = 0;
  uint64_t comfort_noise_packets = 0;  // RFC 3389 CN and Opus DTX packets played
  // The operations on decoded audio (JitterPlayout): how often, and how much audio they took
  // out or put in. expand: concealment runs (loss, lateness, underrun); merge: the joins after one.
  uint64_t accelerate = 0;
  double accelerate_ms = 0;
  uint64_t preemptive_expand = 0;
  double preemptive_expand_ms = 0;
  uint64_t expand = 0;
  double expand_ms = 0;
  uint64_t merge = 0;
  double comfort_noise_ms = 0;
};

class JitterBuffer {
 public:
  explicit JitterBuffer(const JitterBufferConfig& config);

  // `duration_ts`: the payload's media time (PacketDuration); 0 means unusable.
  InsertStatus Insert(uint16_t sequence_number, uint32_t rtp_timestamp, bool marker, const uint8_t* payload,
                      size_t length, int64_t duration_ts, int64_t arrival_us, PacketKind kind = PacketKind::kAudio);
  // The next piece of output for the tick at `now_us`, whose caller already holds `buffered_ts` of
  // decoded audio toward its frame (less than one frame). Call until the frame is full.
  PlayoutDecision Next(int64_t now_us, int64_t buffered_ts);
  // A new SSRC: its packets play after what is buffered, on a numbering of their own.
  void NewStream() { mapper_.NewStream(); }
  // Whether the audio of the last kNormal decision with a stretch could be stretched.
  void OnStretched(bool applied) { stretch_failures_ = applied ? 0 : stretch_failures_ + 1; }
  // The last kNormal decision's quiet-only cut happened; `short_of_ask`: it cut less than asked
  // (a quiet cut keeps a cross-fade of the packet). A trim that fell short goes on in the next
  // packet (PlayoutState::trimming); one that cut what it asked is done.
  void OnQuietCut(bool short_of_ask) {
    if (last_trim_) trimming_ = short_of_ask;
  }

  JitterBufferStats stats() const;

 private:
  int64_t TimestampToUs(int64_t timestamp) const { return TicksToUs(timestamp, config_.clock_rate_hz); }
  void Consume(const BufferedPacket& packet);
  bool WasConsumed(int64_t sequence) const;
  PlayoutDecision Output(PlayoutKind kind, int64_t duration_ts);

  JitterBufferConfig config_;
  int64_t frame_ts_;
  TimelineMapper mapper_;
  PacketBuffer packets_;
  DelayEstimator delay_;
  DecisionLogic decision_;

  int64_t playout_ts_ = 0;         // timeline position of the next sample to output
  bool speech_ = false;            // in a talkspurt (else: before the first packet, or a pause)
  int64_t last_arrival_us_ = 0;
  // Sequence numbers played or dropped: the highest and a bitmap of the 64 below it, to tell a
  // late duplicate from a late packet. consumed_end_ts_: where the last one ended.
  int64_t consumed_high_ = -1;
  uint64_t consumed_mask_ = 0;
  int64_t consumed_end_ts_ = 0;
  int64_t consumed_duration_ts_ = 0;  // of the last packet played
  // What DecisionLogic last added to the estimator's target for packets shorter than a tick: the
  // stats report the target playout is held to.
  double packetization_margin_ms_ = 0;
  int64_t concealed_ts_ = 0;
  int stretch_failures_ = 0;  // stretches in a row that found nothing to stretch
  int whole_frame_packets_ = 0;  // packets played since falling back to whole frames
  bool accelerating_ = false;      // the last packet played was accelerated to drain the delay
  bool backlog_ = false;           // see PlayoutState::backlog
  bool settling_ = false;          // see PlayoutState::settling
  bool trimming_ = false;          // see PlayoutState::trimming
  bool last_trim_ = false;         // the last kNormal decision was a trim (Decision::trim)

  double current_delay_ms_ = 0;
  JitterBufferStats stats_;
};

}  // namespace parley

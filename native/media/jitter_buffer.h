// Adaptive jitter buffer for one RTP stream of fixed-duration frames (NetEq's shape, reduced):
// this class is the packet buffer and the playout decision per 20 ms tick; DelayEstimator keeps
// the base transit and the target delay. Time is a parameter (arrival_us, now_us on one
// monotonic clock), so every behaviour is reproducible in tests. Nothing allocates after
// construction.
//
// Playout control: the current delay (how far behind the best-case arrival the frame due now
// plays) is held in [target, target + one frame + hysteresis): below it the buffer stretches by
// one concealed frame, above it drops one frame. That also absorbs sender clock drift, whose
// effect appears as a slowly moving base transit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "media/delay_estimator.h"

namespace parley {

struct JitterBufferConfig {
  int clock_rate_hz = 8000;
  int frame_ms = 20;
  int min_delay_ms = 20;
  int max_delay_ms = 400;
  size_t capacity_packets = 32;
  size_t max_payload_bytes = 1280;  // Opus's largest 20 ms packet is 1275 bytes
};

enum class InsertStatus { kAccepted, kDuplicate, kLate, kDiscarded };

enum class PlayoutKind {
  kNormal,          // decode `payload`
  kConcealWithFec,  // the frame is missing; `payload` is the NEXT packet (Opus in-band FEC)
  kConceal,         // the frame is missing: run the decoder's concealment
  kSilence,         // nothing to play (before the first packet, or long after the last)
};

struct PlayoutDecision {
  PlayoutKind kind = PlayoutKind::kSilence;
  const uint8_t* payload = nullptr;  // valid until the next Insert or Pull
  size_t length = 0;
};

struct JitterBufferStats {
  double current_delay_ms = 0;  // how far behind the best-case arrival the last frame played
  double target_delay_ms = 0;
  uint64_t packets_received = 0;
  uint64_t late = 0;             // arrived after their playout time
  uint64_t lost = 0;             // frames missing at playout time
  uint64_t concealed_frames = 0; // frames produced by concealment (loss, late, stretching)
  uint64_t discarded = 0;        // no room, or dropped to shrink the delay
  uint64_t duplicates = 0;
  uint64_t reordered = 0;
  uint64_t fec_recovered = 0;
  uint64_t resyncs = 0;          // timestamp jumps and stream restarts
};

class JitterBuffer {
 public:
  explicit JitterBuffer(const JitterBufferConfig& config);

  InsertStatus Insert(uint16_t sequence_number, uint32_t rtp_timestamp, const uint8_t* payload, size_t length,
                      int64_t arrival_us);
  // One call per frame, at the frame's due time.
  PlayoutDecision Pull(int64_t now_us);
  // Forget the stream (new SSRC): the next packet starts afresh.
  void Reset();

  JitterBufferStats stats() const;
  double target_delay_ms() const { return delay_.target_delay_ms(); }

 private:
  struct Slot {
    bool used = false;
    int64_t timestamp = 0;  // extended (unwrapped) RTP timestamp
    size_t length = 0;
    int64_t played_timestamp = -1;  // the last frame played from this slot: tells a late duplicate
  };

  int64_t Extend(uint32_t rtp_timestamp);
  Slot* Find(int64_t timestamp);
  void Store(int64_t timestamp, const uint8_t* payload, size_t length);
  void Resync(int64_t timestamp, int64_t arrival_us);
  int64_t TimestampToUs(int64_t timestamp) const;
  bool HasPacketsAfter(int64_t timestamp) const;
  size_t IndexOf(int64_t timestamp) const;
  PlayoutDecision Take(Slot& slot, PlayoutKind kind);

  JitterBufferConfig config_;
  int64_t frame_samples_;
  std::vector<Slot> slots_;
  std::vector<uint8_t> payloads_;  // capacity_packets * max_payload_bytes

  bool started_ = false;
  int64_t last_extended_ = 0;
  uint16_t highest_seq_ = 0;
  int64_t playout_timestamp_ = 0;  // next frame to play
  bool playing_ = false;           // first frame has been due
  int64_t last_packet_us_ = 0;

  DelayEstimator delay_;
  double current_delay_ms_ = 0;
  JitterBufferStats stats_;
};

}  // namespace parley

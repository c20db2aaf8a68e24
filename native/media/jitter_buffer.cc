#include "media/jitter_buffer.h"

#include <algorithm>
#include <cstring>

namespace parley {
namespace {
// Histogram forgetting per packet: 5 % of the mass moves in ~10 packets (fast attack on a jitter
// step up); the old mass falls below 5 % after ~600 packets, 12 s at 20 ms (slow decay).
constexpr double kForget = 0.995;
constexpr double kPercentile = 0.95;
constexpr int64_t kSilenceAfterUs = 200'000;  // no packet for this long: the sender paused (DTX)
constexpr int64_t kWindowUs = 1'000'000;
}  // namespace

JitterBuffer::JitterBuffer(const JitterBufferConfig& config)
    : config_(config),
      frame_samples_(static_cast<int64_t>(config.clock_rate_hz) * config.frame_ms / 1000),
      slots_(config.capacity_packets),
      payloads_(config.capacity_packets * config.max_payload_bytes),
      target_delay_ms_(config.min_delay_ms) {
  std::fill(std::begin(window_min_), std::end(window_min_), INT64_MAX);
}

int64_t JitterBuffer::TimestampToUs(int64_t timestamp) const {
  return timestamp * 1'000'000 / config_.clock_rate_hz;
}

int64_t JitterBuffer::Extend(uint32_t rtp_timestamp) {
  if (!started_) {
    // Start well above zero so that extended timestamps of reordered early packets stay positive.
    last_extended_ = (int64_t{1} << 32) + rtp_timestamp;
    return last_extended_;
  }
  const int32_t delta = static_cast<int32_t>(rtp_timestamp - static_cast<uint32_t>(last_extended_));
  const int64_t extended = last_extended_ + delta;
  last_extended_ = std::max(last_extended_, extended);
  return extended;
}

JitterBuffer::Slot* JitterBuffer::Find(int64_t timestamp) {
  Slot& slot = slots_[static_cast<size_t>(timestamp / frame_samples_) % slots_.size()];
  return slot.used && slot.timestamp == timestamp ? &slot : nullptr;
}

bool JitterBuffer::HasPacketsAfter(int64_t timestamp) const {
  for (const Slot& slot : slots_) {
    if (slot.used && slot.timestamp > timestamp) return true;
  }
  return false;
}

void JitterBuffer::Store(int64_t timestamp, const uint8_t* payload, size_t length) {
  const size_t index = static_cast<size_t>(timestamp / frame_samples_) % slots_.size();
  Slot& slot = slots_[index];
  slot.used = true;
  slot.timestamp = timestamp;
  slot.length = length;
  std::memcpy(payloads_.data() + index * config_.max_payload_bytes, payload, length);
}

void JitterBuffer::Resync(int64_t timestamp, int64_t arrival_us) {
  for (Slot& slot : slots_) slot.used = false;
  std::fill(std::begin(window_min_), std::end(window_min_), INT64_MAX);
  window_start_us_ = arrival_us;
  window_index_ = 0;
  base_transit_us_ = arrival_us - TimestampToUs(timestamp);
  playout_timestamp_ = timestamp;
  playing_ = false;
}

void JitterBuffer::UpdateDelay(int64_t timestamp, int64_t arrival_us) {
  const int64_t transit = arrival_us - TimestampToUs(timestamp);
  if (arrival_us - window_start_us_ >= kWindowUs) {
    window_index_ = (window_index_ + 1) % kMinWindows;
    window_min_[window_index_] = INT64_MAX;
    window_start_us_ = arrival_us;
  }
  window_min_[window_index_] = std::min(window_min_[window_index_], transit);
  base_transit_us_ = *std::min_element(std::begin(window_min_), std::end(window_min_));

  const double jitter_ms = static_cast<double>(transit - base_transit_us_) / 1000.0;
  const size_t bucket = std::min(kBuckets - 1, static_cast<size_t>(jitter_ms / kBucketMs));
  double total = 0;
  for (double& mass : histogram_) {
    mass *= kForget;
    total += mass;
  }
  histogram_[bucket] += 1.0 - kForget;
  total += 1.0 - kForget;
  double cumulative = 0;
  size_t percentile_bucket = kBuckets - 1;
  for (size_t i = 0; i < kBuckets; ++i) {
    cumulative += histogram_[i];
    if (cumulative >= kPercentile * total) {
      percentile_bucket = i;
      break;
    }
  }
  // The bucket's upper edge: packets with up to that much jitter arrive before their playout.
  const double wanted = (static_cast<double>(percentile_bucket) + 1.0) * kBucketMs;
  target_delay_ms_ = std::clamp(wanted, static_cast<double>(config_.min_delay_ms), static_cast<double>(config_.max_delay_ms));
}

InsertStatus JitterBuffer::Insert(uint16_t sequence_number, uint32_t rtp_timestamp, const uint8_t* payload,
                                  size_t length, int64_t arrival_us) {
  ++stats_.packets_received;
  if (length > config_.max_payload_bytes) {
    ++stats_.discarded;
    return InsertStatus::kDiscarded;
  }
  const bool first = !started_;
  const int64_t timestamp = Extend(rtp_timestamp);
  if (first) {
    started_ = true;
    highest_seq_ = sequence_number;
    Resync(timestamp, arrival_us);
  } else {
    const int64_t jump_limit = static_cast<int64_t>(config_.clock_rate_hz) * (2 * config_.max_delay_ms + 1000) / 1000;
    if (timestamp - playout_timestamp_ > jump_limit || playout_timestamp_ - timestamp > jump_limit) {
      // A timestamp jump (sender restart, PBX re-anchoring): start over from this packet rather
      // than wait, or drop everything, for seconds.
      ++stats_.resyncs;
      last_extended_ = timestamp;
      highest_seq_ = sequence_number;
      Resync(timestamp, arrival_us);
    } else if (!playing_ && arrival_us - last_packet_us_ > kSilenceAfterUs && playout_timestamp_ < timestamp) {
      // Speech resumes after a pause: play this packet a target delay from now.
      for (Slot& slot : slots_) slot.used = false;
      playout_timestamp_ = timestamp;
    }
    const int16_t seq_delta = static_cast<int16_t>(sequence_number - highest_seq_);
    if (seq_delta < 0) {
      ++stats_.reordered;
    } else {
      highest_seq_ = sequence_number;
    }
  }
  last_packet_us_ = arrival_us;
  UpdateDelay(timestamp, arrival_us);

  if (timestamp < playout_timestamp_) {
    if (!playing_) {
      playout_timestamp_ = timestamp;  // reordered ahead of the first packet, before playout began
    } else {
      ++stats_.late;
      return InsertStatus::kLate;
    }
  }
  if (Find(timestamp) != nullptr) {
    ++stats_.duplicates;
    return InsertStatus::kDuplicate;
  }
  const Slot& target = slots_[static_cast<size_t>(timestamp / frame_samples_) % slots_.size()];
  if (timestamp - playout_timestamp_ >= static_cast<int64_t>(slots_.size()) * frame_samples_ ||
      (target.used && target.timestamp >= playout_timestamp_)) {
    ++stats_.discarded;
    return InsertStatus::kDiscarded;
  }
  Store(timestamp, payload, length);
  return InsertStatus::kAccepted;
}

PlayoutDecision JitterBuffer::Pull(int64_t now_us) {
  PlayoutDecision decision;
  if (!started_) return decision;
  const int64_t frame_us = TimestampToUs(frame_samples_);
  auto due_us = [&](int64_t timestamp) {
    return base_transit_us_ + TimestampToUs(timestamp) + static_cast<int64_t>(target_delay_ms_ * 1000.0);
  };
  if (!playing_) {
    if (now_us < due_us(playout_timestamp_)) return decision;  // still buffering
    playing_ = true;
  }
  current_delay_ms_ = static_cast<double>(now_us - base_transit_us_ - TimestampToUs(playout_timestamp_)) / 1000.0;

  const int64_t lag_us = now_us - due_us(playout_timestamp_);
  if (lag_us > frame_us) {
    // Playing more than a frame behind the target (the target fell, or the sender's clock is
    // fast): drop one frame.
    if (Slot* slot = Find(playout_timestamp_)) slot->used = false;
    ++stats_.discarded;
    playout_timestamp_ += frame_samples_;
  } else if (lag_us < -frame_us) {
    // Ahead of the target (it rose, or the sender's clock is slow): stretch by one concealed
    // frame without advancing.
    ++stats_.concealed_frames;
    decision.kind = PlayoutKind::kConceal;
    return decision;
  }

  if (Slot* slot = Find(playout_timestamp_)) {
    slot->used = false;
    const size_t index = static_cast<size_t>(playout_timestamp_ / frame_samples_) % slots_.size();
    decision.kind = PlayoutKind::kNormal;
    decision.payload = payloads_.data() + index * config_.max_payload_bytes;
    decision.length = slot->length;
    playout_timestamp_ += frame_samples_;
    return decision;
  }
  if (!HasPacketsAfter(playout_timestamp_) && now_us - last_packet_us_ > kSilenceAfterUs) {
    // The sender paused: play silence and rebuffer when it resumes.
    playing_ = false;
    return decision;
  }
  ++stats_.lost;
  ++stats_.concealed_frames;
  if (Slot* next = Find(playout_timestamp_ + frame_samples_)) {
    const size_t index = static_cast<size_t>(next->timestamp / frame_samples_) % slots_.size();
    decision.kind = PlayoutKind::kConcealWithFec;
    decision.payload = payloads_.data() + index * config_.max_payload_bytes;
    decision.length = next->length;
    ++stats_.fec_recovered;
  } else {
    decision.kind = PlayoutKind::kConceal;
  }
  playout_timestamp_ += frame_samples_;
  return decision;
}

void JitterBuffer::Reset() {
  started_ = false;
  playing_ = false;
  for (Slot& slot : slots_) slot.used = false;
}

JitterBufferStats JitterBuffer::stats() const {
  JitterBufferStats stats = stats_;
  stats.target_delay_ms = target_delay_ms_;
  stats.current_delay_ms = current_delay_ms_;
  return stats;
}

}  // namespace parley

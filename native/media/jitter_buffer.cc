#include "media/jitter_buffer.h"

#include <algorithm>
#include <cstdlib>

namespace parley {
namespace {
// A timestamp leap larger than the arrival gap by more than this starts a new talkspurt. The
// arrival gap differs from the sending gap by the jitter of two packets; a false alarm only costs
// placing that talkspurt by its arrival instead of its timestamp.
constexpr int kStepToleranceMs = 50;
// Longer packets are refused: no codec Parley negotiates sends more per packet (RFC 6716 caps
// Opus at 120 ms), and the leg's decode buffer is sized for this.
constexpr int kMaxPacketMs = 120;
constexpr int64_t kSequenceHalfRange = 32768;
// Packets tried in a row before falling back to whole frames: half a second of audio with
// neither a pitch nor quiet is music or noise, which time stretching would smear (speech has a
// vowel or a pause in any half second; with 100 ms, unvoiced stretches of speech fell back).
constexpr int kStretchAttempts = 25;
// Then whole frames for this many packets (a second) before stretching is tried again.
constexpr int kWholeFramePackets = 50;
// A packet placed further from playout than this is refused: only a reordered packet can be (an
// in-order one is placed by its arrival when its timestamp leaps), and a hostile one must neither
// hold a slot for minutes nor reach the delay estimate. Twice the largest target plus a second
// covers any real reordering and lateness.
int64_t HorizonTs(const JitterBufferConfig& config) {
  return static_cast<int64_t>(config.clock_rate_hz) * (2 * config.max_delay_ms + 1000) / 1000;
}
}  // namespace

JitterBuffer::JitterBuffer(const JitterBufferConfig& config)
    : config_(config),
      frame_ts_(static_cast<int64_t>(config.clock_rate_hz) * config.frame_ms / 1000),
      mapper_(config.clock_rate_hz, kStepToleranceMs, config.frame_ms),
      packets_(config.capacity_packets, config.max_payload_bytes),
      delay_(config.min_delay_ms, config.max_delay_ms),
      decision_(config.clock_rate_hz, config.frame_ms, config.time_stretch) {}

InsertStatus JitterBuffer::Insert(uint16_t sequence_number, uint32_t rtp_timestamp, bool marker, const uint8_t* payload,
                                  size_t length, int64_t duration_ts, int64_t arrival_us, PacketKind kind) {
  ++stats_.packets_received;
  if (duration_ts <= 0 || duration_ts > static_cast<int64_t>(config_.clock_rate_hz) * kMaxPacketMs / 1000 ||
      length > config_.max_payload_bytes) {
    ++stats_.discarded;
    return InsertStatus::kDiscarded;
  }
  const bool first = !mapper_.started();
  const MappedPacket mapped = mapper_.Map(sequence_number, rtp_timestamp, marker, duration_ts, arrival_us, playout_ts_);
  if (mapped.too_old) {
    ++stats_.late;
    return InsertStatus::kLate;
  }
  if (!first && std::llabs(mapped.timeline_ts - playout_ts_) > HorizonTs(config_)) {
    // Before the delay estimate sees it: its transit would move the base, or the jitter, by minutes.
    ++stats_.discarded;
    return InsertStatus::kDiscarded;
  }
  const int64_t transit_us = arrival_us - TimestampToUs(mapped.timeline_ts);
  if (first) {
    playout_ts_ = consumed_end_ts_ = mapped.timeline_ts;
    delay_.Restart(transit_us, arrival_us);
  }
  if (!mapped.in_order) ++stats_.reordered;
  if (mapped.reanchored) ++stats_.resyncs;
  last_arrival_us_ = std::max(last_arrival_us_, arrival_us);
  // A re-anchored packet's transit is the previous one's by construction: it tells nothing.
  if (!mapped.reanchored) delay_.Update(transit_us, arrival_us);

  if (mapped.timeline_ts < playout_ts_) {
    if (!speech_ && mapped.timeline_ts >= consumed_end_ts_) {
      // Only silence was output since the last packet played (a pause, or before the first):
      // take it back and play this packet from its start, at the cost of a little delay.
      playout_ts_ = mapped.timeline_ts;
    } else if (mapped.timeline_ts + duration_ts <= playout_ts_) {
      if (WasConsumed(mapped.sequence)) {
        ++stats_.duplicates;
        return InsertStatus::kDuplicate;
      }
      ++stats_.late;
      return InsertStatus::kLate;
    }
  }
  switch (packets_.Insert(mapped.timeline_ts, duration_ts, mapped.sequence, payload, length, kind)) {
    case PacketBuffer::Status::kStored:
      return InsertStatus::kAccepted;
    case PacketBuffer::Status::kDuplicate:
      ++stats_.duplicates;
      return InsertStatus::kDuplicate;
    case PacketBuffer::Status::kFull:
      break;
  }
  ++stats_.discarded;
  return InsertStatus::kDiscarded;
}

bool JitterBuffer::WasConsumed(int64_t sequence) const {
  const int64_t behind = consumed_high_ - sequence;
  return consumed_high_ >= 0 && behind >= 0 && behind < 64 && ((consumed_mask_ >> behind) & 1u) != 0;
}

void JitterBuffer::Consume(const BufferedPacket& packet) {
  const int64_t ahead = packet.sequence - consumed_high_;
  if (consumed_high_ < 0 || ahead > 0) {
    consumed_mask_ = (consumed_high_ < 0 || ahead >= 64) ? 1u : ((consumed_mask_ << ahead) | 1u);
    consumed_high_ = packet.sequence;
  } else if (-ahead < 64) {
    consumed_mask_ |= uint64_t{1} << -ahead;
  }
  consumed_end_ts_ = std::max(consumed_end_ts_, packet.end_ts());
}

PlayoutDecision JitterBuffer::Output(PlayoutKind kind, int64_t duration_ts) {
  PlayoutDecision decision;
  decision.kind = kind;
  decision.duration_ts = duration_ts;
  return decision;
}

PlayoutDecision JitterBuffer::Next(int64_t now_us, int64_t buffered_ts) {
  const int64_t need_ts = std::max<int64_t>(config_.conceal_quantum_ts, frame_ts_ - buffered_ts);
  if (!mapper_.started()) return Output(PlayoutKind::kSilence, need_ts);
  PlayoutState state;
  state.need_ts = need_ts;
  state.target_ms = delay_.target_delay_ms();
  // Each pass either outputs or consumes a packet, skips playout forward or ends the talkspurt
  // (once), so this ends; the bound is a guard against a logic error spinning the media thread.
  for (size_t pass = 0; pass <= packets_.size() + 4; ++pass) {
    const BufferedPacket* next = packets_.Front();
    if (next != nullptr && next->end_ts() <= playout_ts_) {
      // Overlapped by the packet before it (a sender repeating itself across a step): nothing new.
      ++stats_.discarded;
      Consume(*next);
      packets_.PopFront();
      continue;
    }
    state.speech = speech_;
    state.delay_ms =
        static_cast<double>(now_us - delay_.base_transit_us() - TimestampToUs(playout_ts_ - buffered_ts)) / 1000.0;
    state.has_next = next != nullptr;
    state.gap_ts = next != nullptr ? next->timeline_ts - playout_ts_ : 0;
    state.next_duration_ts = next != nullptr ? next->duration_ts : 0;
    state.previous_duration_ts = consumed_duration_ts_;
    state.next_follows = next != nullptr && (consumed_high_ < 0 || next->sequence == consumed_high_ + 1);
    state.since_arrival_us = now_us - last_arrival_us_;
    state.stretch_failing = stretch_failures_ >= kStretchAttempts;
    state.accelerating = accelerating_;
    state.backlog = backlog_;
    state.settling = settling_;
    state.trimming = trimming_;
    current_delay_ms_ = state.delay_ms;

    const Decision decision = decision_.Decide(state);
    if (state.has_next) packetization_margin_ms_ = decision.target_ms - state.target_ms;
    switch (decision.operation) {
      case Operation::kNormal:
      case Operation::kAccelerate:
      case Operation::kPreemptiveExpand: {
        const int64_t missing = consumed_high_ < 0 ? 0 : next->sequence - consumed_high_ - 1;
        PlayoutDecision out{PlayoutKind::kNormal, packets_.payload(*next), next->length, next->duration_ts};
        out.after_loss = missing > 0 && missing < kSequenceHalfRange;
        if (out.after_loss) stats_.lost += static_cast<uint64_t>(missing);
        if (decision.operation == Operation::kAccelerate) {
          out.stretch_ts = -decision.amount_ts;
          out.quiet_only = decision.quiet_only;
          out.fast = decision.fast;
        }
        // A settling cut is a chance taken, not a drain to go on with.
        accelerating_ = decision.operation == Operation::kAccelerate && decision.drain;
        backlog_ = accelerating_ && decision.backlog;
        // A trim goes on only in the packet right after one that cut less than it asked
        // (OnQuietCut): the same pause.
        last_trim_ = decision.operation == Operation::kAccelerate && decision.trim;
        trimming_ = false;
        // Settled once the delay no longer asks for a cut; a packet that replays concealed time
        // raises it.
        settling_ = (settling_ && decision.operation != Operation::kNormal) || state.gap_ts < 0;
        if (decision.operation == Operation::kPreemptiveExpand) {
          out.stretch_ts = decision.amount_ts;
          out.urgent = decision.urgent;
        }
        if (next->kind != PacketKind::kAudio) {
          out.kind = next->kind == PacketKind::kComfortNoise ? PlayoutKind::kComfortNoise : PlayoutKind::kDtx;
          out.stretch_ts = 0;
          ++stats_.comfort_noise_packets;
        }
        ++stats_.played;
        if (stretch_failures_ >= kStretchAttempts && ++whole_frame_packets_ >= kWholeFramePackets) {
          stretch_failures_ = 0;
          whole_frame_packets_ = 0;
        }
        Consume(*next);
        consumed_duration_ts_ = next->duration_ts;
        playout_ts_ = next->end_ts();
        // After a silence packet the sender pauses: what follows is silence, not concealment.
        speech_ = next->kind == PacketKind::kAudio;
        packets_.PopFront();  // the payload stays in its slot until the next Insert
        return out;
      }
      case Operation::kDrop:
        ++stats_.discarded;
        ++stats_.frames_dropped;
        Consume(*next);
        playout_ts_ = next->end_ts();
        packets_.PopFront();
        state.may_shrink = false;
        continue;
      case Operation::kSkip:
        playout_ts_ += decision.amount_ts;
        state.may_shrink = false;
        continue;
      case Operation::kEndTalkspurt:
        speech_ = false;
        continue;
      case Operation::kStretch:
        if (!speech_) return Output(PlayoutKind::kSilence, decision.amount_ts);
        if (state.has_next) ++stats_.frames_inserted;
        concealed_ts_ += decision.amount_ts;
        return Output(PlayoutKind::kConceal, decision.amount_ts);
      case Operation::kSilence:
        playout_ts_ += decision.amount_ts;
        return Output(PlayoutKind::kSilence, decision.amount_ts);
      case Operation::kExpand: {
        const int64_t quantum = config_.conceal_quantum_ts;
        const int64_t amount = (decision.amount_ts + quantum - 1) / quantum * quantum;
        playout_ts_ += amount;
        concealed_ts_ += amount;
        if (config_.fec && next != nullptr && decision.amount_ts == state.gap_ts) {
          // Opus in-band FEC (RFC 7587 section 3.3 / RFC 6716 section 2.1.7): the next packet
          // carries a low-rate copy of the audio just before it.
          ++stats_.fec_recovered;
          return PlayoutDecision{PlayoutKind::kConcealWithFec, packets_.payload(*next), next->length, amount};
        }
        return Output(PlayoutKind::kConceal, amount);
      }
    }
  }
  return Output(PlayoutKind::kSilence, need_ts);
}

JitterBufferStats JitterBuffer::stats() const {
  JitterBufferStats stats = stats_;
  stats.target_delay_ms = delay_.target_delay_ms() + packetization_margin_ms_;
  stats.current_delay_ms = current_delay_ms_;
  stats.concealed_frames = static_cast<uint64_t>(concealed_ts_ / frame_ts_);
  return stats;
}

}  // namespace parley

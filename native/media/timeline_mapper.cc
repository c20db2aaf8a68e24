#include "media/timeline_mapper.h"

#include <algorithm>
#include <cstdlib>

#include "media/time_scale.h"

namespace parley {
namespace {
// The first packet's position: far from zero so that positions stay positive whatever comes.
constexpr int64_t kTimelineOrigin = int64_t{1} << 40;
}  // namespace

TimelineMapper::TimelineMapper(int clock_rate_hz, int step_tolerance_ms, int talkspurt_tolerance_ms)
    : clock_rate_hz_(clock_rate_hz),
      step_tolerance_ts_(static_cast<int64_t>(clock_rate_hz) * step_tolerance_ms / 1000),
      talkspurt_tolerance_ts_(static_cast<int64_t>(clock_rate_hz) * talkspurt_tolerance_ms / 1000) {}

int64_t TimelineMapper::Talkspurt::Misfit(int64_t sequence, uint32_t rtp_timestamp) const {
  const int64_t expected = anchor_timeline + (sequence - anchor_sequence) * anchor_duration;
  return std::llabs(Place(rtp_timestamp) - expected);
}

int64_t TimelineMapper::ExtendSequence(uint16_t sequence_number) {
  return highest_sequence_ + static_cast<int16_t>(sequence_number - static_cast<uint16_t>(highest_sequence_));
}

void TimelineMapper::StartTalkspurt(int64_t sequence, uint32_t rtp_timestamp, int64_t timeline_ts) {
  previous_ = current_;
  current_ = Talkspurt{sequence, sequence, rtp_timestamp, timeline_ts, 0, true};
}

MappedPacket TimelineMapper::Map(uint16_t sequence_number, uint32_t rtp_timestamp, bool marker, int64_t duration_ts,
                                 int64_t arrival_us, int64_t playout_ts) {
  MappedPacket mapped;
  if (!have_stream_) {
    // First packet of the call, or of a new SSRC: its numbering says nothing about the old one.
    // A numbering of its own, far from the old one's, so nothing counts across the change.
    const int64_t sequence = started_ ? ((highest_sequence_ >> 16) + 2) << 16 : int64_t{1} << 20;
    int64_t timeline_ts = kTimelineOrigin;
    if (started_) {
      timeline_ts = std::max({last_timeline_ + UsToTicks(arrival_us - last_arrival_us_, clock_rate_hz_), last_end_, playout_ts});
      mapped.reanchored = true;
    }
    started_ = have_stream_ = true;
    highest_sequence_ = sequence + sequence_number;
    previous_ = Talkspurt{};
    current_ = Talkspurt{highest_sequence_, highest_sequence_, rtp_timestamp, timeline_ts, duration_ts, true};
    last_timeline_ = timeline_ts;
    last_end_ = timeline_ts + duration_ts;
    last_arrival_us_ = arrival_us;
    mapped.timeline_ts = timeline_ts;
    mapped.sequence = highest_sequence_;
    return mapped;
  }

  const int64_t sequence = ExtendSequence(sequence_number);
  mapped.sequence = sequence;
  if (sequence <= highest_sequence_) {
    // Reordered or repeated: it belongs to the talkspurt its sequence number falls in. Between the
    // previous talkspurt's last packet and the current one's first, either may own it: the one
    // its timestamp fits better.
    mapped.in_order = false;
    const bool in_current = sequence >= current_.first_sequence ||
                            (previous_.valid && sequence > previous_.anchor_sequence &&
                             current_.Misfit(sequence, rtp_timestamp) < previous_.Misfit(sequence, rtp_timestamp));
    if (in_current) {
      mapped.timeline_ts = current_.Place(rtp_timestamp);
    } else if (previous_.valid && sequence >= previous_.first_sequence) {
      mapped.timeline_ts = previous_.Place(rtp_timestamp);
    } else {
      mapped.too_old = true;
    }
    return mapped;
  }

  // In order. Where its timestamp puts it, and where it would be if it followed on.
  int64_t timeline_ts = current_.Place(rtp_timestamp);
  const int64_t expected_ts = last_end_ + (sequence - highest_sequence_ - 1) * current_.anchor_duration;
  const int64_t arrival_gap_ts = UsToTicks(arrival_us - last_arrival_us_, clock_rate_hz_);
  if (sequence == highest_sequence_ + 1 && timeline_ts > last_timeline_ && timeline_ts < last_end_) {
    // Inside the previous packet's span: Asterisk stamps a file's short last frame only its own
    // length after the frame before it (its prediction adds THIS frame's samples,
    // ast_rtp_raw_write), yet sends it in a whole frame's slot. Its audio follows the previous
    // packet's, and what Asterisk predicts next (this stamp + a frame) starts a slot later: the
    // talkspurt goes on from here, with no step counted.
    timeline_ts = last_end_;
  } else {
    const bool backward = timeline_ts < expected_ts;
    const bool leaps = timeline_ts - last_timeline_ > arrival_gap_ts + step_tolerance_ts_;
    // A talkspurt's first packet must neither play behind what already played nor disagree with
    // its arrival by more than a frame (a sender whose prediction fell behind its wall clock).
    const bool misplaced_talkspurt =
        marker && (timeline_ts < playout_ts || std::llabs(timeline_ts - (last_timeline_ + arrival_gap_ts)) > talkspurt_tolerance_ts_);
    if (backward || leaps || misplaced_talkspurt) {
      timeline_ts = std::max({last_timeline_ + arrival_gap_ts, last_end_, playout_ts});
      mapped.reanchored = true;
    }
    if (mapped.reanchored || marker) StartTalkspurt(sequence, rtp_timestamp, timeline_ts);
  }
  highest_sequence_ = sequence;
  current_.anchor_sequence = sequence;
  current_.anchor_rtp = rtp_timestamp;
  current_.anchor_timeline = timeline_ts;
  current_.anchor_duration = duration_ts;
  last_timeline_ = timeline_ts;
  last_end_ = std::max(last_end_, timeline_ts + duration_ts);
  last_arrival_us_ = arrival_us;
  mapped.timeline_ts = timeline_ts;
  return mapped;
}

}  // namespace parley

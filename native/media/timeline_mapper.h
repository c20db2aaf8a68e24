// Places each RTP packet on one continuous playout timeline (timestamp units), across everything
// a sender does to its timestamps: wrap at 2^32 (RFC 3550 section 5.1), talkspurts after silence
// (marker bit, RFC 3551 section 4.1), and steps. Real Asterisk restarts its timestamps from the
// wall clock, with the marker bit, after every pause of 100 ms or more, and the step may go either
// way; a new SSRC starts a new numbering altogether. Inside a talkspurt a packet's position is its
// timestamp's offset from the talkspurt's anchor; a talkspurt whose timestamps do not follow on
// (backward, forward by more than the arrival gap explains, or behind what already played) is
// re-anchored from the arrival clock: it starts where its arrival gap after the previous
// packet puts it, never overlapping the previous talkspurt, never behind playout. So is a
// talkspurt whose first packet disagrees with its arrival by more than a frame. A packet stamped
// inside the previous one's span (Asterisk's short last frame) follows it.
//
// Sequence numbers run on across those steps, so they tell which talkspurt a reordered packet
// belongs to. Time is a parameter; nothing allocates.
#pragma once

#include <cstdint>

namespace parley {

struct MappedPacket {
  int64_t timeline_ts = 0;
  int64_t sequence = 0;   // extended
  bool in_order = true;   // the highest sequence number so far
  bool reanchored = false;
  bool too_old = false;   // older than the previous talkspurt: cannot be placed
};

class TimelineMapper {
 public:
  // A leap past the arrival gap by more than `step_tolerance_ms` is a step; a talkspurt whose first
  // packet disagrees with its arrival gap by more than `talkspurt_tolerance_ms` is placed by it.
  TimelineMapper(int clock_rate_hz, int step_tolerance_ms, int talkspurt_tolerance_ms);

  // `playout_ts`: the timeline position playout has reached; a talkspurt is never placed behind it.
  MappedPacket Map(uint16_t sequence_number, uint32_t rtp_timestamp, bool marker, int64_t duration_ts,
                   int64_t arrival_us, int64_t playout_ts);
  // A new SSRC: the next packet starts a new numbering, placed after everything so far.
  void NewStream() { have_stream_ = false; }
  bool started() const { return started_; }

 private:
  struct Talkspurt {
    int64_t first_sequence = 0;
    int64_t anchor_sequence = 0;  // its latest in-order packet
    uint32_t anchor_rtp = 0;
    int64_t anchor_timeline = 0;
    int64_t anchor_duration = 0;
    bool valid = false;

    int64_t Place(uint32_t rtp_timestamp) const {
      // RFC 3550 section 5.1: the timestamp wraps; the nearer reading is meant.
      return anchor_timeline + static_cast<int32_t>(rtp_timestamp - anchor_rtp);
    }
    // How far `rtp_timestamp` is from where sequence number `sequence` should be.
    int64_t Misfit(int64_t sequence, uint32_t rtp_timestamp) const;
  };

  int64_t ExtendSequence(uint16_t sequence_number);
  void StartTalkspurt(int64_t sequence, uint32_t rtp_timestamp, int64_t timeline_ts);

  int64_t clock_rate_hz_;
  int64_t step_tolerance_ts_;
  int64_t talkspurt_tolerance_ts_;
  bool started_ = false;
  bool have_stream_ = false;
  int64_t highest_sequence_ = 0;
  Talkspurt current_;
  Talkspurt previous_;
  // The latest in-order packet, across talkspurts and streams.
  int64_t last_timeline_ = 0;
  int64_t last_end_ = 0;
  int64_t last_arrival_us_ = 0;
};

}  // namespace parley

// What we receive from the peer's stream, kept as RFC 3550 appendix A prescribes so that our
// report blocks mean what the peer's RTCP expects: the extended highest sequence number (A.1),
// packets expected and lost, cumulative and since the last report (A.3), and the interarrival
// jitter estimate (A.8). Time is a parameter (µs on the engine's monotonic clock).
#pragma once

#include <cstdint>

#include "rtp/rtcp_packet.h"

namespace parley {

class RtpReceiveStatistics {
 public:
  // A.1: a jump of more than kMaxDropout ahead or kMaxMisorder behind is a restarted sequence.
  static constexpr uint32_t kMaxDropout = 3000;
  static constexpr uint32_t kMaxMisorder = 100;

  explicit RtpReceiveStatistics(int clock_rate_hz) : clock_rate_hz_(clock_rate_hz) {}

  // A new SSRC: its sequence and timeline start over.
  void Reset() { *this = RtpReceiveStatistics(clock_rate_hz_); }
  // Every RTP packet accepted from the stream; `timed` packets (audio, not telephone-events, whose
  // timestamps mark an event's start, RFC 4733 section 2.3.1) feed the jitter estimate.
  void OnPacket(uint16_t seq, uint32_t rtp_timestamp, int64_t arrival_us, bool timed);
  // The peer's SR arrived: its NTP time is echoed as LSR, and DLSR counts from `arrival_us`.
  void OnSenderReport(uint64_t ntp, int64_t arrival_us);
  // Fills a report block about `ssrc` as of `now_us` and starts the next fraction-lost interval.
  // False before the first packet.
  bool MakeReportBlock(uint32_t ssrc, int64_t now_us, RtcpReportBlock* out);

  bool started() const { return received_ > 0; }
  uint64_t received() const { return received_; }
  uint64_t expected() const { return received_ > 0 ? extended_max() - base_seq_ + 1 : 0; }
  // May be negative with duplicates (A.3).
  int64_t lost() const { return static_cast<int64_t>(expected()) - static_cast<int64_t>(received_); }
  double jitter_ms() const { return clock_rate_hz_ > 0 ? (jitter_q4_ / 16.0) * 1000.0 / clock_rate_hz_ : 0; }

 private:
  uint64_t extended_max() const { return (static_cast<uint64_t>(cycles_) << 16) | max_seq_; }

  int clock_rate_hz_;
  uint64_t received_ = 0;
  uint16_t max_seq_ = 0;
  uint32_t cycles_ = 0;  // wraps of the 16-bit sequence, times one
  uint64_t base_seq_ = 0;
  uint32_t bad_seq_ = 0x10000;  // A.1: the sequence after a big jump, for restart detection
  uint64_t expected_prior_ = 0;
  uint64_t received_prior_ = 0;
  bool have_transit_ = false;
  int64_t transit_ = 0;
  int64_t jitter_q4_ = 0;  // A.8's estimate in 1/16 timestamp units
  uint32_t last_sr_ = 0;
  int64_t last_sr_arrival_us_ = 0;
};

}  // namespace parley

// RTCP for one RTP leg (RFC 3550 section 6): when our next report is due (section 6.3's
// randomized interval), what it says (an SR while we send, with a report block about the peer's
// stream), and what the peer's reports tell us: round-trip time from LSR/DLSR (section 6.4.1) and
// how our stream arrives at the peer (its loss and jitter). Pure and clocked by its caller: the
// leg feeds packets and time in, and sends the bytes it gets out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>

#include "rtp/rtcp_packet.h"
#include "rtp/rtp_receive_statistics.h"

namespace parley {

struct RtcpStats {
  uint64_t sent = 0;               // compound reports we sent
  uint64_t reports_received = 0;   // peer SR/RR parsed
  uint64_t malformed = 0;          // peer RTCP that failed the validity check
  // From the peer's report blocks about our stream.
  uint64_t rtt_samples = 0;
  double rtt_last_ms = 0;
  double rtt_sum_ms = 0;
  double rtt_max_ms = 0;
  bool have_remote_block = false;
  double remote_fraction_lost = 0;  // 0..1, the last report's interval
  int64_t remote_cumulative_lost = 0;
  double remote_jitter_ms = 0;
  // Our measurement of the peer's stream (what our report blocks carry).
  uint64_t expected = 0;
  int64_t lost = 0;
  double jitter_ms = 0;
};

class RtcpSession {
 public:
  // Section 6.2: the minimum interval between reports, halved before the first one.
  static constexpr int64_t kMinIntervalUs = 5'000'000;
  static constexpr size_t kCnameBytes = 16;  // "parley-" + 8 hex digits of the SSRC, + a spare

  RtcpSession(uint32_t local_ssrc, int clock_rate_hz, uint32_t random_seed);

  // The peer's RTP packets (after SRTP and the source checks), and a new peer SSRC.
  void OnRtpReceived(uint16_t seq, uint32_t rtp_timestamp, int64_t arrival_us, bool timed) {
    received_.OnPacket(seq, rtp_timestamp, arrival_us, timed);
  }
  void OnRemoteSsrcChanged() { received_.Reset(); }
  void OnRtpSent(size_t payload_bytes) {
    ++packets_sent_;
    octets_sent_ += payload_bytes;
  }
  // A plain (already unprotected) compound RTCP packet from the peer, whose stream has
  // `remote_ssrc` (0: not known yet). kOk or why it was dropped.
  RtpStatus OnRtcp(const uint8_t* data, size_t length, uint32_t remote_ssrc, int64_t arrival_us);
  // When a report is due at `now_us`, writes it to `out` and returns its length; 0 otherwise.
  // `rtp_timestamp_now` is our RTP clock at `now_us` (for the SR, section 6.4.1); the report
  // block is about `remote_ssrc`.
  size_t MaybeWriteReport(int64_t now_us, uint32_t rtp_timestamp_now, uint32_t remote_ssrc, uint8_t* out, size_t capacity);
  void set_local_ssrc(uint32_t ssrc);

  RtcpStats stats() const;

 private:
  uint64_t NtpAt(int64_t engine_us) const;
  int64_t NextIntervalUs(bool first);

  uint32_t local_ssrc_;
  int clock_rate_hz_;
  std::minstd_rand random_;
  RtpReceiveStatistics received_;
  // Engine µs to Unix µs: set once, so our NTP times and the RTT measured on them share a clock.
  int64_t unix_offset_us_;
  int64_t next_report_us_ = -1;  // -1: schedule on the first call
  uint64_t packets_sent_ = 0;
  uint64_t octets_sent_ = 0;
  // packets_sent_ at the last two reports: section 6.4's "sent since the second previous report".
  uint64_t sent_at_report_[2] = {0, 0};
  char cname_[kCnameBytes] = {0};
  size_t cname_length_ = 0;
  RtcpStats stats_;
};

}  // namespace parley

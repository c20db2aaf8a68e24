#include "rtp/rtcp_session.h"

#include <time.h>

#include <cmath>
#include <cstdio>

namespace parley {
namespace {

// Seconds from the NTP epoch (1900) to the Unix epoch (1970).
constexpr uint64_t kNtpUnixOffsetSeconds = 2'208'988'800ULL;

int64_t ClockUs(clockid_t clock) {
  timespec now;
  clock_gettime(clock, &now);
  return static_cast<int64_t>(now.tv_sec) * 1'000'000 + now.tv_nsec / 1000;
}

}  // namespace

RtcpSession::RtcpSession(uint32_t local_ssrc, int clock_rate_hz, uint32_t random_seed)
    : local_ssrc_(local_ssrc),
      clock_rate_hz_(clock_rate_hz),
      random_(random_seed == 0 ? 1 : random_seed),
      received_(clock_rate_hz),
      // The engine's clock is CLOCK_MONOTONIC (media_engine_binding.cc); tests may drive it by
      // hand, which only shifts our NTP times: RTT compares our own times with each other.
      unix_offset_us_(ClockUs(CLOCK_REALTIME) - ClockUs(CLOCK_MONOTONIC)) {
  set_local_ssrc(local_ssrc);
}

void RtcpSession::set_local_ssrc(uint32_t ssrc) {
  local_ssrc_ = ssrc;
  const int written = std::snprintf(cname_, sizeof(cname_), "parley-%08x", ssrc);
  cname_length_ = written > 0 ? static_cast<size_t>(written) : 0;
}

uint64_t RtcpSession::NtpAt(int64_t engine_us) const {
  const int64_t unix_us = engine_us + unix_offset_us_;
  const uint64_t seconds = static_cast<uint64_t>(unix_us / 1'000'000) + kNtpUnixOffsetSeconds;
  const uint64_t fraction = (static_cast<uint64_t>(unix_us % 1'000'000) << 32) / 1'000'000;
  return (seconds << 32) | fraction;
}

// Section 6.3.1 for a two-party call: the deterministic interval is the 5 s minimum (2.5 s
// before the first report, section 6.2), randomized uniformly over [0.5, 1.5] of it so that
// reports of many calls do not synchronize, and divided by e - 3/2 as the section compensates
// for timer reconsideration.
int64_t RtcpSession::NextIntervalUs(bool first) {
  const double deterministic_us = first ? kMinIntervalUs / 2.0 : static_cast<double>(kMinIntervalUs);
  const double spread = 0.5 + static_cast<double>(random_() - std::minstd_rand::min()) /
                                  static_cast<double>(std::minstd_rand::max() - std::minstd_rand::min());
  return static_cast<int64_t>(deterministic_us * spread / (std::exp(1.0) - 1.5));
}

RtpStatus RtcpSession::OnRtcp(const uint8_t* data, size_t length, uint32_t remote_ssrc, int64_t arrival_us) {
  RtcpCompound compound;
  const RtpStatus status = RtcpParser::Parse(data, length, local_ssrc_, &compound);
  if (status != RtpStatus::kOk) {
    ++stats_.malformed;
    return status;
  }
  ++stats_.reports_received;
  // Only the stream we receive names our LSR: an SR from another SSRC is not the peer's.
  if (compound.has_sender_info && (remote_ssrc == 0 || compound.sender_ssrc == remote_ssrc)) {
    received_.OnSenderReport(compound.sender_info.ntp, arrival_us);
  }
  if (!compound.has_block) return RtpStatus::kOk;
  const RtcpReportBlock& block = compound.block;
  stats_.have_remote_block = true;
  stats_.remote_fraction_lost = block.fraction_lost / 256.0;
  stats_.remote_cumulative_lost = block.cumulative_lost;
  stats_.remote_jitter_ms = clock_rate_hz_ > 0 ? block.jitter * 1000.0 / clock_rate_hz_ : 0;
  // Section 6.4.1: RTT = A - LSR - DLSR on the middle 32 bits of our NTP clock, modulo 2^32.
  if (block.last_sr != 0) {
    const uint32_t arrival = NtpMiddle32(NtpAt(arrival_us));
    const uint32_t rtt = arrival - block.last_sr - block.delay_since_last_sr;
    // A negative result (bits beyond 2^31) or one over a minute is a peer's bad arithmetic.
    if (rtt < (60u << 16)) {
      const double rtt_ms = rtt * 1000.0 / 65536.0;
      ++stats_.rtt_samples;
      stats_.rtt_last_ms = rtt_ms;
      stats_.rtt_sum_ms += rtt_ms;
      if (rtt_ms > stats_.rtt_max_ms) stats_.rtt_max_ms = rtt_ms;
    }
  }
  return RtpStatus::kOk;
}

size_t RtcpSession::MaybeWriteReport(int64_t now_us, uint32_t rtp_timestamp_now, uint32_t remote_ssrc, uint8_t* out,
                                     size_t capacity) {
  if (next_report_us_ < 0) {
    next_report_us_ = now_us + NextIntervalUs(true);
    return 0;
  }
  if (now_us < next_report_us_) return 0;
  next_report_us_ = now_us + NextIntervalUs(false);

  RtcpSenderInfo info;
  info.ntp = NtpAt(now_us);
  info.rtp_timestamp = rtp_timestamp_now;
  info.packet_count = static_cast<uint32_t>(packets_sent_);
  info.octet_count = static_cast<uint32_t>(octets_sent_);
  RtcpReportBlock block;
  RtcpReportOut report;
  report.ssrc = local_ssrc_;
  // Section 6.4: an SR when we sent RTP since the second previous report (not on hold), else an RR.
  report.sender_info = packets_sent_ > sent_at_report_[1] ? &info : nullptr;
  sent_at_report_[1] = sent_at_report_[0];
  sent_at_report_[0] = packets_sent_;
  report.block = received_.MakeReportBlock(remote_ssrc, now_us, &block) ? &block : nullptr;
  report.cname = cname_;
  report.cname_length = cname_length_;
  const size_t length = RtcpWriter::Write(report, out, capacity);
  if (length != 0) ++stats_.sent;
  return length;
}

RtcpStats RtcpSession::stats() const {
  RtcpStats stats = stats_;
  stats.expected = received_.expected();
  stats.lost = received_.lost();
  stats.jitter_ms = received_.jitter_ms();
  return stats;
}

}  // namespace parley

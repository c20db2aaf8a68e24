#include "rtp/rtp_receive_statistics.h"

#include "media/time_scale.h"

namespace parley {

void RtpReceiveStatistics::OnPacket(uint16_t seq, uint32_t rtp_timestamp, int64_t arrival_us, bool timed) {
  if (received_ == 0) {
    max_seq_ = seq;
    base_seq_ = seq;
    cycles_ = 0;
  } else {
    // A.1's update_seq, without the probation the source latch already did.
    const uint16_t delta = static_cast<uint16_t>(seq - max_seq_);
    if (delta < kMaxDropout) {
      if (seq < max_seq_) ++cycles_;
      max_seq_ = seq;
    } else if (delta <= 0x10000 - kMaxMisorder) {
      if (seq != bad_seq_) {
        // A big jump: wait for the next packet to tell a restart from a stray.
        bad_seq_ = static_cast<uint16_t>(seq + 1);
        return;
      }
      // Two sequential packets after the jump: the sender restarted its sequence.
      const uint32_t last_sr = last_sr_;
      const int64_t last_sr_arrival_us = last_sr_arrival_us_;
      Reset();
      last_sr_ = last_sr;
      last_sr_arrival_us_ = last_sr_arrival_us;
      OnPacket(seq, rtp_timestamp, arrival_us, timed);
      return;
    }
    // Otherwise a duplicate or reordered packet: counted, the maximum stays.
  }
  ++received_;
  if (!timed) return;
  // A.8: J += (|D| - J) / 16, with D the change in relative transit time, in timestamp units.
  const int64_t transit = UsToTicks(arrival_us, clock_rate_hz_) - static_cast<int64_t>(rtp_timestamp);
  if (have_transit_) {
    // The 32-bit timestamp wraps: the difference is taken modulo 2^32.
    const int32_t d = static_cast<int32_t>(static_cast<uint32_t>(transit - transit_));
    const int64_t magnitude = d < 0 ? -static_cast<int64_t>(d) : d;
    jitter_q4_ += magnitude - ((jitter_q4_ + 8) >> 4);
  }
  transit_ = transit;
  have_transit_ = true;
}

void RtpReceiveStatistics::OnSenderReport(uint64_t ntp, int64_t arrival_us) {
  last_sr_ = NtpMiddle32(ntp);
  last_sr_arrival_us_ = arrival_us;
}

bool RtpReceiveStatistics::MakeReportBlock(uint32_t ssrc, int64_t now_us, RtcpReportBlock* out) {
  if (received_ == 0) return false;
  // A.3: the fraction lost over the interval since the previous report, in 1/256.
  const uint64_t expected_total = expected();
  const uint64_t expected_interval = expected_total - expected_prior_;
  const int64_t received_interval = static_cast<int64_t>(received_ - received_prior_);
  expected_prior_ = expected_total;
  received_prior_ = received_;
  const int64_t lost_interval = static_cast<int64_t>(expected_interval) - received_interval;
  out->ssrc = ssrc;
  out->fraction_lost = expected_interval == 0 || lost_interval <= 0
                           ? 0
                           : static_cast<uint8_t>((static_cast<uint64_t>(lost_interval) << 8) / expected_interval);
  const int64_t lost_total = lost();
  out->cumulative_lost = static_cast<int32_t>(lost_total > 0x7fffff ? 0x7fffff : lost_total < -0x800000 ? -0x800000 : lost_total);
  out->extended_highest_seq = static_cast<uint32_t>(extended_max());
  out->jitter = static_cast<uint32_t>(jitter_q4_ >> 4);
  out->last_sr = last_sr_;
  // Section 6.4.1: DLSR in 1/65536 s, 0 when no SR has been received.
  const int64_t delay_us = now_us - last_sr_arrival_us_;
  out->delay_since_last_sr =
      last_sr_ == 0 || delay_us < 0 ? 0 : static_cast<uint32_t>(SaturateToInt64(static_cast<__int128>(delay_us) * 65536 / 1'000'000));
  return true;
}

}  // namespace parley

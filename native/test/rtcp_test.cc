// RTCP against RFC 3550's layouts and arithmetic: our SR and RR byte for byte (section 6.4.1,
// 6.4.2, 6.5), the compound validity check (appendix A.2), the peer's fields read back (24-bit
// signed cumulative loss), loss and fraction lost (A.3) across a sequence wrap, interarrival
// jitter (A.8), RTT from LSR/DLSR (section 6.4.1) and the report interval (section 6.3.1).
// Exit status 0 on success; prints every failed check otherwise.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "rtp/rtcp_packet.h"
#include "rtp/rtcp_session.h"
#include "rtp/rtp_receive_statistics.h"

namespace {

int failures = 0;

void Expect(bool condition, const char* what) {
  if (condition) return;
  ++failures;
  std::printf("FAILED: %s\n", what);
}

void ExpectBytes(const uint8_t* actual, const std::vector<uint8_t>& expected, size_t length, const char* what) {
  const bool same = length == expected.size() && std::memcmp(actual, expected.data(), length) == 0;
  if (!same) {
    std::printf("bytes of %s (%zu, expected %zu):", what, length, expected.size());
    for (size_t i = 0; i < length; ++i) std::printf(" %02x", actual[i]);
    std::printf("\n");
  }
  Expect(same, what);
}

using parley::RtcpCompound;
using parley::RtcpParser;
using parley::RtcpReportBlock;
using parley::RtcpReportOut;
using parley::RtcpSenderInfo;
using parley::RtcpWriter;
using parley::RtpStatus;

void WritesSenderReportLayout() {
  RtcpSenderInfo info{0x0102030405060708ULL, 0x11121314, 0x21222324, 0x31323334};
  RtcpReportBlock block;
  block.ssrc = 0xAABBCCDD;
  block.fraction_lost = 0x40;
  block.cumulative_lost = -2;
  block.extended_highest_seq = 0x0001FFFF;
  block.jitter = 0x50;
  block.last_sr = 0x05060708;
  block.delay_since_last_sr = 0x00018000;  // 1.5 s
  RtcpReportOut report;
  report.ssrc = 0xDEADBEEF;
  report.sender_info = &info;
  report.block = &block;
  report.cname = "ab";
  report.cname_length = 2;
  uint8_t out[128];
  const size_t length = RtcpWriter::Write(report, out, sizeof(out));
  const std::vector<uint8_t> expected = {
      // SR: V=2 RC=1, PT 200, length 12 (13 words)
      0x81, 200, 0x00, 12, 0xDE, 0xAD, 0xBE, 0xEF,
      0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,  // NTP
      0x11, 0x12, 0x13, 0x14, 0x21, 0x22, 0x23, 0x24, 0x31, 0x32, 0x33, 0x34,
      // report block: SSRC, fraction 0x40 | cumulative -2 in 24 bits, ...
      0xAA, 0xBB, 0xCC, 0xDD, 0x40, 0xFF, 0xFF, 0xFE, 0x00, 0x01, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x50,
      0x05, 0x06, 0x07, 0x08, 0x00, 0x01, 0x80, 0x00,
      // SDES: SC=1, PT 202, length 3; chunk SSRC, CNAME(1) len 2 "ab", null end, pad to 32 bits
      0x81, 202, 0x00, 3, 0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02, 'a', 'b', 0x00, 0x00, 0x00, 0x00};
  ExpectBytes(out, expected, length, "SR with one block and SDES CNAME");
  Expect(RtcpWriter::Write(report, out, expected.size() - 1) == 0, "SR refused when it does not fit");
}

void WritesReceiverReportLayout() {
  RtcpReportOut report;
  report.ssrc = 0x01020304;
  report.cname = "abc";
  report.cname_length = 3;
  uint8_t out[64];
  const size_t length = RtcpWriter::Write(report, out, sizeof(out));
  // The chunk: SSRC, then CNAME type, length 3, "abc", the null octet ending the list (section
  // 6.5), two octets to the 32-bit boundary: 12 octets, so the SDES is 4 words (length 3).
  const std::vector<uint8_t> expected = {0x80, 201, 0x00, 0x01, 0x01, 0x02, 0x03, 0x04,
                                         0x81, 202, 0x00, 0x03, 0x01, 0x02, 0x03, 0x04, 0x01, 0x03, 'a', 'b', 'c', 0x00, 0x00, 0x00};
  ExpectBytes(out, expected, length, "RR without blocks and SDES CNAME");
}

void ParsesPeerCompound() {
  // An RR from 0x1000 with two blocks (ours second), then an SDES.
  const std::vector<uint8_t> packet = {
      0x82, 201, 0x00, 13, 0x00, 0x00, 0x10, 0x00,
      0x00, 0x00, 0x00, 0x99, 0x10, 0x00, 0x00, 0x01, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4,
      0x12, 0x34, 0x56, 0x78, 0x80, 0xFF, 0xFF, 0xFF, 0x00, 0x02, 0x00, 0x10, 0x00, 0x00, 0x01, 0x00,
      0xAB, 0xCD, 0xEF, 0x01, 0x00, 0x00, 0x40, 0x00,
      0x81, 202, 0x00, 0x02, 0x00, 0x00, 0x10, 0x00, 0x01, 0x01, 'x', 0x00};
  RtcpCompound compound;
  Expect(RtcpParser::Parse(packet.data(), packet.size(), 0x12345678, &compound) == RtpStatus::kOk, "peer RR parses");
  Expect(compound.packets == 2 && compound.sender_ssrc == 0x1000 && !compound.has_sender_info, "peer RR header");
  Expect(compound.has_block && compound.block.fraction_lost == 0x80 && compound.block.cumulative_lost == -1,
         "our block: fraction 1/2, cumulative lost 0xFFFFFF read as -1");
  Expect(compound.block.extended_highest_seq == 0x00020010 && compound.block.jitter == 256 &&
             compound.block.last_sr == 0xABCDEF01 && compound.block.delay_since_last_sr == 0x4000,
         "our block's fields");
}

void RefusesInvalidCompounds() {
  RtcpCompound compound;
  const std::vector<uint8_t> sdes_first = {0x81, 202, 0x00, 0x02, 0, 0, 0, 1, 1, 1, 'x', 0};
  Expect(RtcpParser::Parse(sdes_first.data(), sdes_first.size(), 0, &compound) == RtpStatus::kRtcpNotCompound, "SDES first: not compound");
  const std::vector<uint8_t> version1 = {0x40, 201, 0x00, 0x01, 0, 0, 0, 1};
  Expect(RtcpParser::Parse(version1.data(), version1.size(), 0, &compound) == RtpStatus::kBadVersion, "version 1");
  const std::vector<uint8_t> overrun = {0x80, 201, 0x00, 0x05, 0, 0, 0, 1};
  Expect(RtcpParser::Parse(overrun.data(), overrun.size(), 0, &compound) == RtpStatus::kTruncated, "length past the datagram");
  const std::vector<uint8_t> too_many_blocks = {0x81, 201, 0x00, 0x01, 0, 0, 0, 1};
  Expect(RtcpParser::Parse(too_many_blocks.data(), too_many_blocks.size(), 0, &compound) == RtpStatus::kRtcpBadLength,
         "RC=1 without room for the block");
  const std::vector<uint8_t> padded_first = {0xA0, 201, 0x00, 0x01, 0, 0, 0, 1, 0x80, 203, 0x00, 0x00};
  Expect(RtcpParser::Parse(padded_first.data(), padded_first.size(), 0, &compound) == RtpStatus::kRtcpNotCompound, "padding on the first packet");
  const std::vector<uint8_t> trailing = {0x80, 201, 0x00, 0x01, 0, 0, 0, 1, 0x80};
  Expect(RtcpParser::Parse(trailing.data(), trailing.size(), 0, &compound) == RtpStatus::kTruncated, "a stray byte after the last packet");
}

void CountsLossAcrossSequenceWrap() {
  parley::RtpReceiveStatistics stats(8000);
  // 65530 .. 65535, 0 .. 13 with 2 and 7 missing: 20 expected, 18 received.
  int received = 0;
  for (uint32_t i = 0; i < 20; ++i) {
    const uint16_t seq = static_cast<uint16_t>(65530 + i);
    if (seq == 2 || seq == 7) continue;
    stats.OnPacket(seq, i * 160, int64_t{i} * 20'000, true);
    ++received;
  }
  RtcpReportBlock block;
  Expect(stats.MakeReportBlock(7, 400'000, &block), "a block after packets");
  Expect(stats.expected() == 20 && stats.lost() == 2 && received == 18, "A.3: 20 expected, 2 lost");
  Expect(block.extended_highest_seq == 0x1000D, "A.1: extended highest sequence 65536 + 13 after the wrap");
  Expect(block.fraction_lost == 2 * 256 / 20 && block.cumulative_lost == 2, "A.3: fraction lost 25/256, cumulative 2");
  // The next interval: 10 more in order, none lost.
  for (uint32_t i = 20; i < 30; ++i) stats.OnPacket(static_cast<uint16_t>(65530 + i), i * 160, int64_t{i} * 20'000, true);
  stats.MakeReportBlock(7, 600'000, &block);
  Expect(block.fraction_lost == 0 && block.cumulative_lost == 2, "fraction lost counts only since the last report");
  Expect(block.last_sr == 0 && block.delay_since_last_sr == 0, "no SR received: LSR and DLSR 0");
}

void EstimatesInterarrivalJitter() {
  parley::RtpReceiveStatistics stats(8000);
  // Every other packet 10 ms late: |D| = 80 timestamp units at each step, so J converges to 80.
  for (uint32_t i = 0; i < 2000; ++i) stats.OnPacket(static_cast<uint16_t>(i), i * 160, int64_t{i} * 20'000 + (i % 2) * 10'000, true);
  Expect(std::fabs(stats.jitter_ms() - 10.0) < 0.2, "A.8: alternating 10 ms delay gives 10 ms jitter");
  RtcpReportBlock block;
  stats.MakeReportBlock(1, 0, &block);
  Expect(block.jitter >= 79 && block.jitter <= 80, "the block carries jitter in timestamp units");
}

void MeasuresRoundTripFromLsrDlsr() {
  parley::RtcpSession session(0xA, 8000, 1);
  session.OnRtpSent(160);
  uint8_t out[256];
  session.MaybeWriteReport(0, 0, 0xB, out, sizeof(out));  // schedules the first report
  const int64_t sent_us = 10'000'000;
  const size_t length = session.MaybeWriteReport(sent_us, 1234, 0xB, out, sizeof(out));
  RtcpCompound ours;
  Expect(length > 0 && RtcpParser::Parse(out, length, 0xB, &ours) == RtpStatus::kOk && ours.has_sender_info, "our SR");
  Expect(ours.sender_info.rtp_timestamp == 1234 && ours.sender_info.packet_count == 1 && ours.sender_info.octet_count == 160,
         "SR sender info: RTP time, packet and payload octet counts");
  // The peer held our SR 500 ms (DLSR) and the network took 100 ms in all.
  RtcpReportBlock block;
  block.ssrc = 0xA;
  block.last_sr = parley::NtpMiddle32(ours.sender_info.ntp);
  block.delay_since_last_sr = 65536 / 2;
  RtcpReportOut rr;
  rr.ssrc = 0xB;
  rr.block = &block;
  uint8_t peer[128];
  const size_t peer_length = RtcpWriter::Write(rr, peer, sizeof(peer));
  Expect(session.OnRtcp(peer, peer_length, 0xB, sent_us + 600'000) == RtpStatus::kOk, "the peer's RR is read");
  const parley::RtcpStats stats = session.stats();
  Expect(stats.rtt_samples == 1 && std::fabs(stats.rtt_last_ms - 100.0) < 0.05, "RTT = A - LSR - DLSR = 100 ms");
  // An LSR from the future (bad peer arithmetic) gives no sample.
  block.last_sr += 65536 * 10;
  const size_t bad_length = RtcpWriter::Write(rr, peer, sizeof(peer));
  session.OnRtcp(peer, bad_length, 0xB, sent_us + 700'000);
  Expect(session.stats().rtt_samples == 1, "a negative RTT is not a sample");
}

void SendsReceiverReportsOnceNotSendingForTwoIntervals() {
  parley::RtcpSession session(1, 8000, 3);
  uint8_t out[256];
  session.MaybeWriteReport(0, 0, 2, out, sizeof(out));
  bool sender[4] = {};
  int64_t now_us = 0;
  for (bool& was_sr : sender) {
    size_t length = 0;
    while (length == 0) {
      now_us += 20'000;
      if (&was_sr == &sender[0]) session.OnRtpSent(160);  // sending only before the first report
      length = session.MaybeWriteReport(now_us, 0, 2, out, sizeof(out));
    }
    was_sr = out[1] == parley::kRtcpSenderReport;
  }
  Expect(sender[0] && sender[1] && !sender[2] && !sender[3], "section 6.4: SR while sending and one report after, then RR (on hold)");
}

void SchedulesRandomizedIntervals() {
  // Section 6.3.1: [0.5, 1.5] x 5 s / (e - 3/2), the first at half the minimum.
  const double low_s = 0.5 * 5 / (std::exp(1.0) - 1.5);
  const double high_s = 1.5 * 5 / (std::exp(1.0) - 1.5);
  double sum_s = 0;
  double min_s = 1e9;
  double max_s = 0;
  int count = 0;
  for (uint32_t seed = 1; seed <= 50; ++seed) {
    parley::RtcpSession session(1, 8000, seed);
    uint8_t out[256];
    session.MaybeWriteReport(0, 0, 2, out, sizeof(out));
    int64_t last_us = -1;
    for (int64_t now_us = 0; now_us <= 120'000'000; now_us += 20'000) {
      if (session.MaybeWriteReport(now_us, 0, 2, out, sizeof(out)) == 0) continue;
      if (last_us < 0) {
        Expect(now_us <= static_cast<int64_t>(high_s / 2 * 1e6) + 20'000, "the first report within half the interval");
      } else {
        const double interval_s = (now_us - last_us) / 1e6;
        sum_s += interval_s;
        min_s = std::fmin(min_s, interval_s);
        max_s = std::fmax(max_s, interval_s);
        ++count;
      }
      last_us = now_us;
    }
  }
  std::printf("rtcp intervals: %d, mean %.2f s, min %.2f s, max %.2f s (bounds %.2f .. %.2f)\n", count, sum_s / count, min_s, max_s, low_s, high_s);
  Expect(min_s >= low_s - 0.001 && max_s <= high_s + 0.021, "intervals within section 6.3.1's bounds");
  Expect(std::fabs(sum_s / count - 5 / (std::exp(1.0) - 1.5)) < 0.2, "mean interval 5 s / (e - 3/2)");
}

}  // namespace

int main() {
  WritesSenderReportLayout();
  WritesReceiverReportLayout();
  ParsesPeerCompound();
  RefusesInvalidCompounds();
  CountsLossAcrossSequenceWrap();
  EstimatesInterarrivalJitter();
  MeasuresRoundTripFromLsrDlsr();
  SchedulesRandomizedIntervals();
  SendsReceiverReportsOnceNotSendingForTwoIntervals();
  std::printf("rtcp: %d failed checks\n", failures);
  return failures == 0 ? 0 : 1;
}

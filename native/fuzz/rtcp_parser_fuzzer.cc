// libFuzzer harness for RTCP compound packets (RtcpParser, RFC 3550 section 6 and appendix A.2)
// and the per-leg RtcpSession that reads them: every accepted packet's sender info and report
// block must survive a write/parse round trip, and whatever a peer sends, the session's RTT stays
// within its one-minute bound and its next report parses.
//   input: [u8 flags][u32 media ssrc][u16 arrival ms][compound packet...]
#include <cstdint>
#include <vector>

#include "fuzz/fuzz_input.h"
#include "rtp/rtcp_packet.h"
#include "rtp/rtcp_session.h"

using parley::fuzz::Check;
using parley::fuzz::FuzzInput;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput input(data, size);
  const uint8_t flags = input.U8();
  const uint32_t media_ssrc = input.U32();
  const int64_t arrival_us = int64_t{input.U16()} * 1000;
  size_t length = 0;
  const uint8_t* packet = input.Bytes(SIZE_MAX, &length);

  parley::RtcpCompound compound;
  const parley::RtpStatus status = parley::RtcpParser::Parse(packet, length, media_ssrc, &compound);
  if (status == parley::RtpStatus::kOk) {
    Check(compound.packets >= 1 && compound.packets <= parley::RtcpParser::kMaxPackets);
    Check(!compound.has_block || compound.block.ssrc == media_ssrc);
    Check(compound.block.cumulative_lost >= -0x800000 && compound.block.cumulative_lost <= 0x7fffff);
    parley::RtcpReportOut report;
    report.ssrc = compound.sender_ssrc;
    report.sender_info = compound.has_sender_info ? &compound.sender_info : nullptr;
    report.block = compound.has_block ? &compound.block : nullptr;
    std::vector<uint8_t> out(256);
    const size_t written = parley::RtcpWriter::Write(report, out.data(), out.size());
    Check(written > 0 && written % 4 == 0);
    parley::RtcpCompound again;
    Check(parley::RtcpParser::Parse(out.data(), written, media_ssrc, &again) == parley::RtpStatus::kOk);
    Check(again.sender_ssrc == compound.sender_ssrc && again.has_sender_info == compound.has_sender_info &&
          again.has_block == compound.has_block && again.packets == 2);
    if (again.has_sender_info) {
      Check(again.sender_info.ntp == compound.sender_info.ntp && again.sender_info.rtp_timestamp == compound.sender_info.rtp_timestamp &&
            again.sender_info.packet_count == compound.sender_info.packet_count);
    }
    if (again.has_block) {
      const parley::RtcpReportBlock& a = again.block;
      const parley::RtcpReportBlock& b = compound.block;
      Check(a.fraction_lost == b.fraction_lost && a.cumulative_lost == b.cumulative_lost &&
            a.extended_highest_seq == b.extended_highest_seq && a.jitter == b.jitter && a.last_sr == b.last_sr &&
            a.delay_since_last_sr == b.delay_since_last_sr);
    }
  }

  // The session: a stream received, then the peer's packet, then our report.
  parley::RtcpSession session(media_ssrc, (flags & 1) ? 48000 : 8000, 7);
  for (uint16_t i = 0; i < 4; ++i) session.OnRtpReceived(static_cast<uint16_t>(flags * 257 + i), i * 160u, i * 20'000, true);
  session.OnRtcp(packet, length, flags & 2 ? compound.sender_ssrc : 0, arrival_us);
  const parley::RtcpStats stats = session.stats();
  Check(stats.rtt_samples <= 1);
  if (stats.rtt_samples == 1) Check(stats.rtt_last_ms >= 0 && stats.rtt_last_ms < 60'000);
  Check(stats.remote_fraction_lost >= 0 && stats.remote_fraction_lost < 1);
  std::vector<uint8_t> report(parley::RtcpSession::kCnameBytes + 128);
  Check(session.MaybeWriteReport(0, 0, 0x1234, report.data(), report.size()) == 0);  // schedules the first
  const size_t written = session.MaybeWriteReport(int64_t{1} << 40, 0, 0x1234, report.data(), report.size());
  parley::RtcpCompound ours;
  Check(written > 0 && parley::RtcpParser::Parse(report.data(), written, 0x1234, &ours) == parley::RtpStatus::kOk && ours.has_block);
  return 0;
}

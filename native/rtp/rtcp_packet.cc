#include "rtp/rtcp_packet.h"

#include <cstring>

#include "rtp/network_order.h"

namespace parley {
namespace {

constexpr size_t kHeaderBytes = 4;
constexpr size_t kSenderInfoBytes = 20;
constexpr size_t kReportBlockBytes = 24;
constexpr uint8_t kSdesCname = 1;

void WriteHeader(uint8_t* p, size_t count, uint8_t type, size_t bytes) {
  const size_t words_minus_one = bytes / 4 - 1;
  p[0] = static_cast<uint8_t>(0x80 | count);
  p[1] = type;
  p[2] = static_cast<uint8_t>(words_minus_one >> 8);
  p[3] = static_cast<uint8_t>(words_minus_one);
}

RtcpReportBlock ReadBlock(const uint8_t* p) {
  RtcpReportBlock block;
  block.ssrc = ReadU32(p);
  block.fraction_lost = p[4];
  // 24-bit two's complement (section 6.4.1: duplicates can make the count negative).
  const uint32_t lost = (static_cast<uint32_t>(p[5]) << 16) | (static_cast<uint32_t>(p[6]) << 8) | p[7];
  block.cumulative_lost = (lost & 0x800000u) != 0 ? static_cast<int32_t>(lost) - 0x1000000 : static_cast<int32_t>(lost);
  block.extended_highest_seq = ReadU32(p + 8);
  block.jitter = ReadU32(p + 12);
  block.last_sr = ReadU32(p + 16);
  block.delay_since_last_sr = ReadU32(p + 20);
  return block;
}

void WriteBlock(uint8_t* p, const RtcpReportBlock& block) {
  WriteU32(p, block.ssrc);
  // Clamped to the 24 bits the field has (section 6.4.1).
  const int32_t lost = block.cumulative_lost > 0x7fffff ? 0x7fffff : block.cumulative_lost < -0x800000 ? -0x800000 : block.cumulative_lost;
  WriteU32(p + 4, (static_cast<uint32_t>(block.fraction_lost) << 24) | (static_cast<uint32_t>(lost) & 0xffffffu));
  WriteU32(p + 8, block.extended_highest_seq);
  WriteU32(p + 12, block.jitter);
  WriteU32(p + 16, block.last_sr);
  WriteU32(p + 20, block.delay_since_last_sr);
}

}  // namespace

RtpStatus RtcpParser::Parse(const uint8_t* data, size_t length, uint32_t media_ssrc, RtcpCompound* out) {
  *out = RtcpCompound{};
  size_t offset = 0;
  while (offset < length) {
    if (out->packets == kMaxPackets) return RtpStatus::kRtcpBadLength;
    if (length - offset < kHeaderBytes) return RtpStatus::kTruncated;
    const uint8_t* packet = data + offset;
    if ((packet[0] >> 6) != 2) return RtpStatus::kBadVersion;
    const bool padding = (packet[0] & 0x20) != 0;
    const size_t count = packet[0] & 0x1f;
    const uint8_t type = packet[1];
    const size_t bytes = (((static_cast<size_t>(packet[2]) << 8) | packet[3]) + 1) * 4;
    if (bytes > length - offset) return RtpStatus::kTruncated;
    const bool last = offset + bytes == length;
    if (out->packets == 0 && (padding || (type != kRtcpSenderReport && type != kRtcpReceiverReport))) {
      return RtpStatus::kRtcpNotCompound;
    }
    size_t body = bytes;
    if (padding) {
      // Section 6.4.1 / A.2: only the last packet of a compound may be padded; the last octet
      // counts the padding, itself included.
      if (!last) return RtpStatus::kRtcpNotCompound;
      const size_t pad = packet[bytes - 1];
      if (pad == 0 || pad > bytes - kHeaderBytes) return RtpStatus::kBadPadding;
      body = bytes - pad;
    }
    if (type == kRtcpSenderReport || type == kRtcpReceiverReport) {
      const size_t fixed = kHeaderBytes + 4 + (type == kRtcpSenderReport ? kSenderInfoBytes : 0);
      if (body < fixed + count * kReportBlockBytes) return RtpStatus::kRtcpBadLength;
      if (out->packets == 0) out->sender_ssrc = ReadU32(packet + 4);
      if (type == kRtcpSenderReport && !out->has_sender_info) {
        const uint8_t* info = packet + 8;
        out->has_sender_info = true;
        out->sender_info.ntp = (static_cast<uint64_t>(ReadU32(info)) << 32) | ReadU32(info + 4);
        out->sender_info.rtp_timestamp = ReadU32(info + 8);
        out->sender_info.packet_count = ReadU32(info + 12);
        out->sender_info.octet_count = ReadU32(info + 16);
      }
      for (size_t i = 0; i < count && !out->has_block; ++i) {
        const uint8_t* block = packet + fixed + i * kReportBlockBytes;
        if (ReadU32(block) != media_ssrc) continue;
        out->block = ReadBlock(block);
        out->has_block = true;
      }
    } else if (type == kRtcpBye) {
      out->bye = true;
    }
    ++out->packets;
    offset += bytes;
  }
  return out->packets == 0 ? RtpStatus::kTruncated : RtpStatus::kOk;
}

size_t RtcpWriter::Write(const RtcpReportOut& report, uint8_t* out, size_t capacity) {
  if (report.cname_length > 255) return 0;
  const size_t blocks = report.block != nullptr ? 1 : 0;
  const size_t report_bytes = kHeaderBytes + 4 + (report.sender_info != nullptr ? kSenderInfoBytes : 0) + blocks * kReportBlockBytes;
  // SDES chunk: SSRC, CNAME item (type, length, text), then at least one null octet ending the
  // item list, padded to a 32-bit boundary (section 6.5).
  const size_t chunk_bytes = (4 + 2 + report.cname_length + 1 + 3) / 4 * 4;
  const size_t sdes_bytes = kHeaderBytes + chunk_bytes;
  if (report_bytes + sdes_bytes > capacity) return 0;

  uint8_t* p = out;
  WriteHeader(p, blocks, report.sender_info != nullptr ? kRtcpSenderReport : kRtcpReceiverReport, report_bytes);
  WriteU32(p + 4, report.ssrc);
  size_t offset = 8;
  if (report.sender_info != nullptr) {
    const RtcpSenderInfo& info = *report.sender_info;
    WriteU32(p + 8, static_cast<uint32_t>(info.ntp >> 32));
    WriteU32(p + 12, static_cast<uint32_t>(info.ntp));
    WriteU32(p + 16, info.rtp_timestamp);
    WriteU32(p + 20, info.packet_count);
    WriteU32(p + 24, info.octet_count);
    offset += kSenderInfoBytes;
  }
  if (report.block != nullptr) WriteBlock(p + offset, *report.block);

  p = out + report_bytes;
  WriteHeader(p, 1, kRtcpSourceDescription, sdes_bytes);
  WriteU32(p + 4, report.ssrc);
  p[8] = kSdesCname;
  p[9] = static_cast<uint8_t>(report.cname_length);
  if (report.cname_length != 0) std::memcpy(p + 10, report.cname, report.cname_length);
  std::memset(p + 10 + report.cname_length, 0, sdes_bytes - 10 - report.cname_length);
  return report_bytes + sdes_bytes;
}

}  // namespace parley

// RTCP sender and receiver reports (RFC 3550 section 6.4) in compound packets (section 6.1):
// parsing what a peer sends and writing our own SR or RR followed by an SDES CNAME.
//
//  SR (PT 200):                                    RR (PT 201): the same without the sender info
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |V=2|P|    RC   |   PT=SR=200   |             length            |
//  |                         SSRC of sender                        |
//  |              NTP timestamp, most significant word             |  sender
//  |             NTP timestamp, least significant word             |  info
//  |                         RTP timestamp                         |
//  |                     sender's packet count                     |
//  |                      sender's octet count                     |
//  +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
//  |                 SSRC_1 (SSRC of first source)                 |  report
//  | fraction lost |       cumulative number of packets lost       |  block
//  |           extended highest sequence number received           |  (RC of
//  |                      interarrival jitter                      |  them)
//  |                         last SR (LSR)                         |
//  |                   delay since last SR (DLSR)                  |
//  +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
#pragma once

#include <cstddef>
#include <cstdint>

#include "rtp/rtp_status.h"

namespace parley {

inline constexpr uint8_t kRtcpSenderReport = 200;
inline constexpr uint8_t kRtcpReceiverReport = 201;
inline constexpr uint8_t kRtcpSourceDescription = 202;
inline constexpr uint8_t kRtcpBye = 203;

struct RtcpReportBlock {
  uint32_t ssrc = 0;
  uint8_t fraction_lost = 0;       // lost / expected since the previous report, in 1/256
  int32_t cumulative_lost = 0;     // 24-bit signed on the wire (duplicates can make it negative)
  uint32_t extended_highest_seq = 0;
  uint32_t jitter = 0;             // RTP timestamp units (appendix A.8)
  uint32_t last_sr = 0;            // middle 32 bits of the NTP time of the last SR received, 0: none
  uint32_t delay_since_last_sr = 0;  // 1/65536 s
};

struct RtcpSenderInfo {
  uint64_t ntp = 0;  // NTP time, 32.32 fixed point seconds since 1900
  uint32_t rtp_timestamp = 0;
  uint32_t packet_count = 0;
  uint32_t octet_count = 0;
};

// What Parley takes from a peer's compound packet: the first SR's sender info and the report
// block, in any SR or RR, about one of our SSRCs.
struct RtcpCompound {
  uint32_t sender_ssrc = 0;  // of the first packet (an SR or RR by the validity check)
  bool has_sender_info = false;
  RtcpSenderInfo sender_info;
  bool has_block = false;
  RtcpReportBlock block;
  size_t packets = 0;
  bool bye = false;
};

// RFC 3550 appendix A.2: version 2 throughout, the first packet an SR or RR without padding,
// padding only in the last, and the packets' lengths adding up to the datagram exactly. Every
// length is checked before it is read; a datagram carries at most kMaxPackets packets.
class RtcpParser {
 public:
  static constexpr size_t kMaxPackets = 32;
  static RtpStatus Parse(const uint8_t* data, size_t length, uint32_t media_ssrc, RtcpCompound* out);
};

// Our compound report: an SR (with `sender_info`) or an RR, with at most one report block, then
// an SDES chunk with the CNAME, which section 6.1 requires in every compound packet.
struct RtcpReportOut {
  uint32_t ssrc = 0;
  const RtcpSenderInfo* sender_info = nullptr;  // null: RR
  const RtcpReportBlock* block = nullptr;       // null: no block (nothing received yet)
  const char* cname = "";
  size_t cname_length = 0;  // at most 255 (section 6.5: an SDES item's length is 8 bits)
};

class RtcpWriter {
 public:
  // Bytes written, 0 when `capacity` is too small or the CNAME too long.
  static size_t Write(const RtcpReportOut& report, uint8_t* out, size_t capacity);
};

// The middle 32 bits of an NTP timestamp: LSR, and the clock RTT is measured on (section 6.4.1).
inline uint32_t NtpMiddle32(uint64_t ntp) { return static_cast<uint32_t>(ntp >> 16); }

}  // namespace parley

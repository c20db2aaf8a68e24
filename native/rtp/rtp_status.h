// Why a packet was dropped. Stable numbers: they cross into JS (SessionEventType::kMalformed).
#pragma once

#include <cstdint>

namespace parley {

enum class RtpStatus : uint8_t {
  kOk = 0,
  kTruncated = 1,            // shorter than its headers say
  kBadVersion = 2,           // version field is not 2
  kBadPadding = 3,           // padding count 0 or larger than the payload
  kCsrcOverrun = 4,          // CSRC list runs past the end
  kExtensionOverrun = 5,     // header extension runs past the end
  kBadExtension = 6,         // RFC 8285 element malformed
  kTooLong = 7,              // larger than any datagram we accept
  kAuthenticationFailed = 8, // SRTP authentication, replay or index check failed
  kUnexpectedPayloadType = 9,
  kBufferTooSmall = 10,      // serialize target too small
  // RTCP (RFC 3550 appendix A.2's validity check of a compound packet):
  kRtcpNotCompound = 11,     // the first packet is not an SR or RR, or padding before the last
  kRtcpBadLength = 12,       // a length field disagrees with the datagram or the report count
};

const char* RtpStatusName(RtpStatus status);

}  // namespace parley

#include "rtp/rtp_status.h"

namespace parley {

const char* RtpStatusName(RtpStatus status) {
  switch (status) {
    case RtpStatus::kOk: return "ok";
    case RtpStatus::kTruncated: return "truncated";
    case RtpStatus::kBadVersion: return "bad_version";
    case RtpStatus::kBadPadding: return "bad_padding";
    case RtpStatus::kCsrcOverrun: return "csrc_overrun";
    case RtpStatus::kExtensionOverrun: return "extension_overrun";
    case RtpStatus::kBadExtension: return "bad_extension";
    case RtpStatus::kTooLong: return "too_long";
    case RtpStatus::kAuthenticationFailed: return "authentication_failed";
    case RtpStatus::kUnexpectedPayloadType: return "unexpected_payload_type";
    case RtpStatus::kBufferTooSmall: return "buffer_too_small";
    case RtpStatus::kRtcpNotCompound: return "rtcp_not_compound";
    case RtpStatus::kRtcpBadLength: return "rtcp_bad_length";
  }
  return "unknown";
}

}  // namespace parley

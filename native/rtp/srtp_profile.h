// SRTP protection profiles Parley negotiates over SDES (RFC 4568 section 6.2).
#pragma once

#include <cstddef>
#include <cstring>

namespace parley {

enum class SrtpProfile { kAesCm128HmacSha1_80, kAesCm128HmacSha1_32 };

// AES_CM_128_HMAC_SHA1_32 shortens only the SRTP tag: SRTCP keeps 80 bits (RFC 4568 6.2.2).
inline size_t SrtpTagBytes(SrtpProfile profile) { return profile == SrtpProfile::kAesCm128HmacSha1_80 ? 10 : 4; }
inline constexpr size_t kSrtcpTagBytes = 10;

inline bool ParseSrtpProfile(const char* name, SrtpProfile* out) {
  if (std::strcmp(name, "AES_CM_128_HMAC_SHA1_80") == 0) {
    *out = SrtpProfile::kAesCm128HmacSha1_80;
    return true;
  }
  if (std::strcmp(name, "AES_CM_128_HMAC_SHA1_32") == 0) {
    *out = SrtpProfile::kAesCm128HmacSha1_32;
    return true;
  }
  return false;
}

}  // namespace parley

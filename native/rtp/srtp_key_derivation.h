// SRTP key derivation (RFC 3711 section 4.3) with a key derivation rate of 0: session keys are
// derived once from the master key and salt with the AES-CM PRF.
#pragma once

#include <cstddef>
#include <cstdint>

namespace parley {

struct SrtpSessionKeys {
  uint8_t cipher_key[16];
  uint8_t auth_key[20];
  uint8_t salt[14];
};

enum class SrtpKeyLabel : uint8_t {
  kRtpCipher = 0x00, kRtpAuth = 0x01, kRtpSalt = 0x02,
  kRtcpCipher = 0x03, kRtcpAuth = 0x04, kRtcpSalt = 0x05,
};

// Writes `length` bytes of PRF output for `label` (section 4.3.1). Returns false if OpenSSL failed.
bool DeriveSrtpKey(const uint8_t master_key[16], const uint8_t master_salt[14], SrtpKeyLabel label, uint8_t* out,
                   size_t length);
// The RTP (rtcp = false) or RTCP session keys.
bool DeriveSrtpSessionKeys(const uint8_t master_key[16], const uint8_t master_salt[14], bool rtcp, SrtpSessionKeys* out);

}  // namespace parley

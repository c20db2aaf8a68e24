#include "rtp/srtp_key_derivation.h"

#include <cstring>
#include <stdexcept>

#include "rtp/aes_cm_cipher.h"

namespace parley {

bool DeriveSrtpKey(const uint8_t master_key[16], const uint8_t master_salt[14], SrtpKeyLabel label, uint8_t* out,
                   size_t length) {
  // x = (label || r) XOR master_salt with r = 0 (kdr = 0), right-aligned in the 112-bit salt;
  // the PRF is AES-CM keyed with the master key over x: the same counter construction as packet
  // encryption, with the label in the place of the index's top byte.
  uint8_t x[14];
  std::memcpy(x, master_salt, 14);
  x[7] ^= static_cast<uint8_t>(label);
  std::memset(out, 0, length);
  try {
    AesCmCipher prf(master_key);
    return prf.Apply(x, 0, 0, out, length);
  } catch (const std::runtime_error&) {
    return false;
  }
}

bool DeriveSrtpSessionKeys(const uint8_t master_key[16], const uint8_t master_salt[14], bool rtcp, SrtpSessionKeys* out) {
  const auto base = static_cast<uint8_t>(rtcp ? 3 : 0);
  return DeriveSrtpKey(master_key, master_salt, static_cast<SrtpKeyLabel>(base), out->cipher_key, 16) &&
         DeriveSrtpKey(master_key, master_salt, static_cast<SrtpKeyLabel>(base + 1), out->auth_key, 20) &&
         DeriveSrtpKey(master_key, master_salt, static_cast<SrtpKeyLabel>(base + 2), out->salt, 14);
}

}  // namespace parley

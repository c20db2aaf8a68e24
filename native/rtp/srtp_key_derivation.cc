#include "rtp/srtp_key_derivation.h"

#include <openssl/evp.h>

#include <cstring>

namespace parley {

bool DeriveSrtpKey(const uint8_t master_key[16], const uint8_t master_salt[14], SrtpKeyLabel label, uint8_t* out,
                   size_t length) {
  // x = (label || r) XOR master_salt with r = 0 (kdr = 0), right-aligned in the 112-bit salt;
  // the PRF is AES-CM keyed with the master key, IV = x * 2^16.
  uint8_t iv[16] = {0};
  std::memcpy(iv, master_salt, 14);
  iv[7] ^= static_cast<uint8_t>(label);
  std::memset(out, 0, length);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) return false;
  int written = 0;
  const bool ok = EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), nullptr, master_key, iv) == 1 &&
                  EVP_EncryptUpdate(ctx, out, &written, out, static_cast<int>(length)) == 1;
  EVP_CIPHER_CTX_free(ctx);
  return ok && written == static_cast<int>(length);
}

bool DeriveSrtpSessionKeys(const uint8_t master_key[16], const uint8_t master_salt[14], bool rtcp, SrtpSessionKeys* out) {
  const auto base = static_cast<uint8_t>(rtcp ? 3 : 0);
  return DeriveSrtpKey(master_key, master_salt, static_cast<SrtpKeyLabel>(base), out->cipher_key, 16) &&
         DeriveSrtpKey(master_key, master_salt, static_cast<SrtpKeyLabel>(base + 1), out->auth_key, 20) &&
         DeriveSrtpKey(master_key, master_salt, static_cast<SrtpKeyLabel>(base + 2), out->salt, 14);
}

}  // namespace parley

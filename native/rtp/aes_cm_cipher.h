// AES in counter mode as SRTP uses it (RFC 3711 section 4.1.1): the counter block is
// (salt * 2^16) XOR (SSRC * 2^64) XOR (index * 2^16). OpenSSL's AES-128-CTR does the work; the
// context is made once and re-seeded per packet without allocating.
#pragma once

#include <cstddef>
#include <cstdint>

typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;

namespace parley {

class AesCmCipher {
 public:
  // Throws std::runtime_error if OpenSSL cannot set up the key.
  explicit AesCmCipher(const uint8_t key[16]);
  ~AesCmCipher();
  AesCmCipher(const AesCmCipher&) = delete;
  AesCmCipher& operator=(const AesCmCipher&) = delete;

  // XORs the keystream for (ssrc, index) into `data` in place.
  bool Apply(const uint8_t salt[14], uint32_t ssrc, uint64_t index, uint8_t* data, size_t length);

 private:
  EVP_CIPHER_CTX* ctx_;
};

}  // namespace parley

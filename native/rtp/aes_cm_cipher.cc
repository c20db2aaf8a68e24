#include "rtp/aes_cm_cipher.h"

#include <openssl/evp.h>

#include <cstring>
#include <stdexcept>

namespace parley {

AesCmCipher::AesCmCipher(const uint8_t key[16]) : ctx_(EVP_CIPHER_CTX_new()) {
  if (ctx_ == nullptr || EVP_EncryptInit_ex(ctx_, EVP_aes_128_ctr(), nullptr, key, nullptr) != 1) {
    EVP_CIPHER_CTX_free(ctx_);
    throw std::runtime_error("AES-CM: OpenSSL could not set up AES-128-CTR");
  }
}

AesCmCipher::~AesCmCipher() { EVP_CIPHER_CTX_free(ctx_); }

bool AesCmCipher::Apply(const uint8_t salt[14], uint32_t ssrc, uint64_t index, uint8_t* data, size_t length) {
  uint8_t iv[16] = {0};
  std::memcpy(iv, salt, 14);
  for (int i = 0; i < 4; ++i) iv[4 + i] ^= static_cast<uint8_t>(ssrc >> (24 - 8 * i));
  for (int i = 0; i < 6; ++i) iv[8 + i] ^= static_cast<uint8_t>(index >> (40 - 8 * i));
  int written = 0;
  return EVP_EncryptInit_ex(ctx_, nullptr, nullptr, nullptr, iv) == 1 &&
         EVP_EncryptUpdate(ctx_, data, &written, data, static_cast<int>(length)) == 1;
}

}  // namespace parley

// SRTP and SRTCP (RFC 3711) for one direction of a session: AES-CM encryption and HMAC-SHA1
// authentication with Node's OpenSSL, packet index from the rollover counter (section 3.3.1),
// and replay protection, both kept per SSRC (srtp_stream_table.h). Contexts are created once;
// protecting or unprotecting a packet does not allocate.
#pragma once

#include <cstddef>
#include <cstdint>

#include <memory>

#include "rtp/aes_cm_cipher.h"
#include "rtp/replay_window.h"
#include "rtp/srtp_stream_table.h"
#include "rtp/srtp_key_derivation.h"
#include "rtp/srtp_profile.h"

typedef struct evp_mac_ctx_st EVP_MAC_CTX;

namespace parley {

enum class SrtpStatus { kOk, kTruncated, kAuthFailed, kReplayed, kTooOld, kNoRoom, kCryptoError };

const char* SrtpStatusName(SrtpStatus status);

class SrtpContext {
 public:
  static constexpr size_t kMaxTrailerBytes = 4 + kSrtcpTagBytes;  // SRTCP index + tag

  // Throws std::runtime_error if OpenSSL cannot set up the ciphers.
  SrtpContext(SrtpProfile profile, const uint8_t master_key[16], const uint8_t master_salt[14]);
  ~SrtpContext();
  SrtpContext(const SrtpContext&) = delete;
  SrtpContext& operator=(const SrtpContext&) = delete;

  // In place: `packet` holds `length` bytes and has room for `capacity`; the result length is
  // written to `out_length`.
  SrtpStatus ProtectRtp(uint8_t* packet, size_t length, size_t capacity, size_t* out_length);
  SrtpStatus UnprotectRtp(uint8_t* packet, size_t length, size_t* out_length);
  SrtpStatus ProtectRtcp(uint8_t* packet, size_t length, size_t capacity, size_t* out_length);
  SrtpStatus UnprotectRtcp(uint8_t* packet, size_t length, size_t* out_length);

  // The sender's ROC for the SSRC it protected last.
  uint32_t rollover_counter() const { return last_send_roc_; }
  // SSRCs whose incoming state the context holds (at most SrtpStreamTable::kMaxStreams).
  size_t receive_streams() const { return receive_.size(); }

 private:
  struct Keys {
    SrtpSessionKeys session;
    std::unique_ptr<AesCmCipher> cipher;
    EVP_MAC_CTX* mac = nullptr;
  };

  bool SetUp(Keys& keys, const uint8_t master_key[16], const uint8_t master_salt[14], bool rtcp);
  bool Crypt(Keys& keys, uint32_t ssrc, uint64_t index, uint8_t* data, size_t length);
  bool Tag(Keys& keys, const uint8_t* data, size_t length, const uint8_t* extra, size_t extra_length, uint8_t out[20]);
  size_t HeaderLength(const uint8_t* packet, size_t length) const;

  SrtpProfile profile_;
  size_t tag_bytes_;
  Keys rtp_;
  Keys rtcp_;
  SrtpStreamTable send_;
  SrtpStreamTable receive_;
  uint32_t last_send_roc_ = 0;
};

}  // namespace parley

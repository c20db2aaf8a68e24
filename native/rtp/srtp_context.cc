#include "rtp/srtp_context.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstring>
#include <stdexcept>

#include "rtp/network_order.h"

namespace parley {

const char* SrtpStatusName(SrtpStatus status) {
  switch (status) {
    case SrtpStatus::kOk: return "ok";
    case SrtpStatus::kTruncated: return "truncated";
    case SrtpStatus::kAuthFailed: return "auth_failed";
    case SrtpStatus::kReplayed: return "replayed";
    case SrtpStatus::kTooOld: return "too_old";
    case SrtpStatus::kNoRoom: return "no_room";
    case SrtpStatus::kCryptoError: return "crypto_error";
  }
  return "unknown";
}

SrtpContext::SrtpContext(SrtpProfile profile, const uint8_t master_key[16], const uint8_t master_salt[14])
    : profile_(profile), tag_bytes_(SrtpTagBytes(profile)) {
  if (!SetUp(rtp_, master_key, master_salt, false) || !SetUp(rtcp_, master_key, master_salt, true)) {
    throw std::runtime_error("SRTP: OpenSSL could not set up AES-CM / HMAC-SHA1");
  }
}

SrtpContext::~SrtpContext() {
  for (Keys* keys : {&rtp_, &rtcp_}) {
    EVP_MAC_CTX_free(keys->mac);
    OPENSSL_cleanse(&keys->session, sizeof(keys->session));
  }
}

bool SrtpContext::SetUp(Keys& keys, const uint8_t master_key[16], const uint8_t master_salt[14], bool rtcp) {
  if (!DeriveSrtpSessionKeys(master_key, master_salt, rtcp, &keys.session)) return false;
  keys.cipher = std::make_unique<AesCmCipher>(keys.session.cipher_key);
  EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (hmac == nullptr) return false;
  keys.mac = EVP_MAC_CTX_new(hmac);
  EVP_MAC_free(hmac);
  char digest[] = "SHA1";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_construct_end()};
  return keys.mac != nullptr && EVP_MAC_init(keys.mac, keys.session.auth_key, sizeof(keys.session.auth_key), params) == 1;
}

bool SrtpContext::Crypt(Keys& keys, uint32_t ssrc, uint64_t index, uint8_t* data, size_t length) {
  return keys.cipher->Apply(keys.session.salt, ssrc, index, data, length);
}

bool SrtpContext::Tag(Keys& keys, const uint8_t* data, size_t length, const uint8_t* extra, size_t extra_length,
                      uint8_t out[20]) {
  // Re-initialising with no key keeps the HMAC key schedule: no allocation per packet.
  size_t written = 0;
  return EVP_MAC_init(keys.mac, nullptr, 0, nullptr) == 1 && EVP_MAC_update(keys.mac, data, length) == 1 &&
         (extra_length == 0 || EVP_MAC_update(keys.mac, extra, extra_length) == 1) &&
         EVP_MAC_final(keys.mac, out, &written, 20) == 1 && written == 20;
}

size_t SrtpContext::HeaderLength(const uint8_t* packet, size_t length) const {
  if (length < 12) return 0;
  size_t header = 12 + 4u * (packet[0] & 0x0f);
  if (packet[0] & 0x10) {
    if (header + 4 > length) return 0;
    header += 4 + 4u * ((packet[header + 2] << 8) | packet[header + 3]);
  }
  return header <= length ? header : 0;
}

SrtpStatus SrtpContext::ProtectRtp(uint8_t* packet, size_t length, size_t capacity, size_t* out_length) {
  const size_t header = HeaderLength(packet, length);
  if (header == 0) return SrtpStatus::kTruncated;
  if (length + tag_bytes_ > capacity) return SrtpStatus::kNoRoom;
  const uint16_t seq = static_cast<uint16_t>((packet[2] << 8) | packet[3]);
  const uint32_t ssrc = ReadU32(packet + 8);
  const SrtpStream* found = send_.Find(ssrc);
  SrtpStream stream = found != nullptr ? *found : SrtpStreamTable::Fresh(ssrc);
  // The sender's ROC counts wraps of its own sequence numbers.
  if (!stream.send_started) {
    stream.send_started = true;
    stream.send_index = seq;
  } else {
    const uint16_t last = static_cast<uint16_t>(stream.send_index);
    uint64_t roc = stream.send_index >> 16;
    if (seq < last && last - seq > 32768) ++roc;
    stream.send_index = (roc << 16) | seq;
  }
  const uint64_t send_index = stream.send_index;
  if (!Crypt(rtp_, ssrc, send_index, packet + header, length - header)) return SrtpStatus::kCryptoError;
  uint8_t roc_bytes[4];
  WriteU32(roc_bytes, static_cast<uint32_t>(send_index >> 16));
  uint8_t tag[20];
  if (!Tag(rtp_, packet, length, roc_bytes, 4, tag)) return SrtpStatus::kCryptoError;
  std::memcpy(packet + length, tag, tag_bytes_);
  send_.Commit(stream);
  last_send_roc_ = static_cast<uint32_t>(send_index >> 16);
  *out_length = length + tag_bytes_;
  return SrtpStatus::kOk;
}

SrtpStatus SrtpContext::UnprotectRtp(uint8_t* packet, size_t length, size_t* out_length) {
  if (length < 12 + tag_bytes_) return SrtpStatus::kTruncated;
  const size_t body = length - tag_bytes_;
  const size_t header = HeaderLength(packet, body);
  if (header == 0) return SrtpStatus::kTruncated;
  const uint16_t seq = static_cast<uint16_t>((packet[2] << 8) | packet[3]);
  const uint32_t ssrc = ReadU32(packet + 8);
  // Each SSRC has its own index space (section 3.3.1; a new one starts from ROC 0) and replay list.
  // Nothing in the table changes before the packet authenticates: neither a forged packet nor a
  // replayed genuine one of another SSRC can touch the live stream's state.
  const SrtpStream* found = receive_.Find(ssrc);
  SrtpStream stream = found != nullptr ? *found : SrtpStreamTable::Fresh(ssrc);
  // Index estimation (section 3.3.1 / Appendix A): the ROC that puts seq closest to the highest.
  uint32_t roc = stream.roc;
  if (found != nullptr) {
    if (stream.highest_seq < 32768) {
      if (seq > stream.highest_seq + 32768u && stream.roc > 0) roc = stream.roc - 1;
    } else if (seq < static_cast<uint32_t>(stream.highest_seq) - 32768u) {
      roc = stream.roc + 1;
    }
  }
  const uint64_t index = (static_cast<uint64_t>(roc) << 16) | seq;
  const ReplayWindow::Check check = stream.replay.Test(index);
  if (check == ReplayWindow::Check::kReplayed) return SrtpStatus::kReplayed;
  if (check == ReplayWindow::Check::kTooOld) return SrtpStatus::kTooOld;
  uint8_t roc_bytes[4];
  WriteU32(roc_bytes, roc);
  uint8_t tag[20];
  if (!Tag(rtp_, packet, body, roc_bytes, 4, tag)) return SrtpStatus::kCryptoError;
  if (CRYPTO_memcmp(tag, packet + body, tag_bytes_) != 0) return SrtpStatus::kAuthFailed;
  if (!Crypt(rtp_, ssrc, index, packet + header, body - header)) return SrtpStatus::kCryptoError;
  if (stream.replay.empty() || index > stream.replay.highest()) {
    stream.roc = roc;
    stream.highest_seq = seq;
  }
  stream.replay.Accept(index);
  receive_.Commit(stream);
  *out_length = body;
  return SrtpStatus::kOk;
}

// SRTCP (section 3.4): everything after the first 8 bytes is encrypted; then E-bit || 31-bit
// SRTCP index, then the 80-bit tag over header, encrypted part and index.
SrtpStatus SrtpContext::ProtectRtcp(uint8_t* packet, size_t length, size_t capacity, size_t* out_length) {
  if (length < 8) return SrtpStatus::kTruncated;
  if (length + 4 + kSrtcpTagBytes > capacity) return SrtpStatus::kNoRoom;
  const uint32_t ssrc = ReadU32(packet + 4);
  const SrtpStream* found = send_.Find(ssrc);
  SrtpStream stream = found != nullptr ? *found : SrtpStreamTable::Fresh(ssrc);
  const uint32_t index = stream.rtcp_send_index;
  stream.rtcp_send_index = (index + 1) & 0x7fffffff;
  if (!Crypt(rtcp_, ssrc, index, packet + 8, length - 8)) return SrtpStatus::kCryptoError;
  WriteU32(packet + length, 0x80000000u | index);
  uint8_t tag[20];
  if (!Tag(rtcp_, packet, length + 4, nullptr, 0, tag)) return SrtpStatus::kCryptoError;
  std::memcpy(packet + length + 4, tag, kSrtcpTagBytes);
  send_.Commit(stream);
  *out_length = length + 4 + kSrtcpTagBytes;
  return SrtpStatus::kOk;
}

SrtpStatus SrtpContext::UnprotectRtcp(uint8_t* packet, size_t length, size_t* out_length) {
  if (length < 8 + 4 + kSrtcpTagBytes) return SrtpStatus::kTruncated;
  const size_t authenticated = length - kSrtcpTagBytes;
  uint8_t tag[20];
  if (!Tag(rtcp_, packet, authenticated, nullptr, 0, tag)) return SrtpStatus::kCryptoError;
  if (CRYPTO_memcmp(tag, packet + authenticated, kSrtcpTagBytes) != 0) return SrtpStatus::kAuthFailed;
  const uint32_t word = ReadU32(packet + authenticated - 4);
  const uint32_t index = word & 0x7fffffff;
  const uint32_t ssrc = ReadU32(packet + 4);
  const SrtpStream* found = receive_.Find(ssrc);
  SrtpStream stream = found != nullptr ? *found : SrtpStreamTable::Fresh(ssrc);
  const ReplayWindow::Check check = stream.rtcp_replay.Test(index);
  if (check == ReplayWindow::Check::kReplayed) return SrtpStatus::kReplayed;
  if (check == ReplayWindow::Check::kTooOld) return SrtpStatus::kTooOld;
  const size_t body = authenticated - 4;
  if ((word & 0x80000000u) && !Crypt(rtcp_, ssrc, index, packet + 8, body - 8)) return SrtpStatus::kCryptoError;
  stream.rtcp_replay.Accept(index);
  receive_.Commit(stream);
  *out_length = body;
  return SrtpStatus::kOk;
}

}  // namespace parley

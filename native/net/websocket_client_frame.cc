#include "net/websocket_client_frame.h"

#include <cstring>

namespace parley {
namespace {

constexpr uint8_t kFinal = 0x80;
constexpr uint8_t kMasked = 0x80;
constexpr size_t kMaxShortLength = 125;
constexpr uint8_t kLength16 = 126;
constexpr uint8_t kLength64 = 127;

}  // namespace

size_t WebSocketClientHeaderBytes(size_t payload_bytes) {
  const size_t extended = payload_bytes <= kMaxShortLength ? 0 : payload_bytes <= 0xFFFF ? 2 : 8;
  return 2 + extended + kWebSocketMaskKeyBytes;
}

size_t WriteWebSocketClientFrame(uint8_t opcode, const uint8_t* payload, size_t payload_bytes, const uint8_t* key, uint8_t* out) {
  uint8_t* at = out;
  *at++ = static_cast<uint8_t>(kFinal | (opcode & 0x0F));
  if (payload_bytes <= kMaxShortLength) {
    *at++ = static_cast<uint8_t>(kMasked | payload_bytes);
  } else if (payload_bytes <= 0xFFFF) {
    *at++ = kMasked | kLength16;
    *at++ = static_cast<uint8_t>(payload_bytes >> 8);
    *at++ = static_cast<uint8_t>(payload_bytes);
  } else {
    *at++ = kMasked | kLength64;
    for (int shift = 56; shift >= 0; shift -= 8) *at++ = static_cast<uint8_t>(static_cast<uint64_t>(payload_bytes) >> shift);
  }
  std::memcpy(at, key, kWebSocketMaskKeyBytes);
  at += kWebSocketMaskKeyBytes;
  // Eight bytes at a time with the key repeated twice, then the tail byte by byte.
  uint8_t key8[8];
  std::memcpy(key8, key, 4);
  std::memcpy(key8 + 4, key, 4);
  uint64_t wide_key;
  std::memcpy(&wide_key, key8, 8);
  size_t i = 0;
  for (; i + 8 <= payload_bytes; i += 8) {
    uint64_t word;
    std::memcpy(&word, payload + i, 8);
    word ^= wide_key;
    std::memcpy(at + i, &word, 8);
  }
  for (; i < payload_bytes; ++i) at[i] = payload[i] ^ key[i % kWebSocketMaskKeyBytes];
  return static_cast<size_t>(at - out) + payload_bytes;
}

}  // namespace parley

// A WebSocket client's frame (RFC 6455 section 5.2): final, unfragmented, the payload masked
// with a 4-byte key (section 5.3: a client masks every frame it sends, with a key its server
// cannot predict). Written by hand for the bot leg's batched sends: the frame is built in native
// code straight into the bytes handed to the kernel.
#pragma once

#include <cstddef>
#include <cstdint>

namespace parley {

constexpr uint8_t kWebSocketText = 0x1;
constexpr uint8_t kWebSocketBinary = 0x2;
// 2 bytes, an 8-byte extended length, the key.
constexpr size_t kWebSocketMaxClientHeaderBytes = 14;
constexpr size_t kWebSocketMaskKeyBytes = 4;

size_t WebSocketClientHeaderBytes(size_t payload_bytes);

// Writes the frame (header, key, masked payload) to `out`, which holds at least
// WebSocketClientHeaderBytes(payload_bytes) + payload_bytes; returns the frame's length.
size_t WriteWebSocketClientFrame(uint8_t opcode, const uint8_t* payload, size_t payload_bytes, const uint8_t* key, uint8_t* out);

}  // namespace parley

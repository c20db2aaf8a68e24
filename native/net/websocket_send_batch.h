// The caller frames of every bot connection due in one media tick, framed as WebSocket client
// frames and handed to the kernel together: in one io_uring_enter where the kernel allows it, else
// one send(2) each. A connection's frames go back to back in one send. Sends never wait: what a
// full socket does not take is reported, and the caller writes the rest through the connection's
// own stream, so the byte order on the socket stays the caller's (engine/bot/bot-frame-batch.ts).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "net/io_uring_ring.h"

namespace parley {

class WebSocketSendBatch {
 public:
  enum class Mode { kAuto, kPlainSends };

  struct Frame {
    size_t payload_start;
    size_t payload_bytes;
    uint8_t opcode;
  };

  // In: the socket and how many of the frames (taken in order) are its. Out: where its bytes are
  // in `out`, and what the kernel took of them (bytes, or -errno; -EBADF for fd -1).
  struct Connection {
    int fd;
    size_t frames;
    size_t out_start;
    size_t out_bytes;
    ssize_t written;
  };

  // Ring entries: a tick's connections beyond this go in further io_uring_enter calls.
  static constexpr unsigned kRingEntries = 256;

  explicit WebSocketSendBatch(Mode mode);
  WebSocketSendBatch(const WebSocketSendBatch&) = delete;
  WebSocketSendBatch& operator=(const WebSocketSendBatch&) = delete;

  bool uses_io_uring() const { return ring_ != nullptr && ring_->open(); }

  // The bytes `out` must hold for these frames.
  static size_t OutBytes(const Frame* frames, size_t frame_count);

  // Throws std::invalid_argument, before anything is sent, when a payload lies outside
  // `payloads`, the connections' frame counts do not add up to `frame_count`, or `out` is too
  // small; std::system_error when no mask keys can be drawn.
  void Flush(const uint8_t* payloads, size_t payload_bytes, const Frame* frames, size_t frame_count, Connection* connections,
             size_t connection_count, uint8_t* out, size_t out_capacity);

 private:
  const uint8_t* NextKey();

  std::unique_ptr<IoUringRing> ring_;
  std::vector<StreamSend> sends_;
  // Mask keys drawn from getrandom(2) a pool at a time, not a syscall per frame.
  uint8_t keys_[4096];
  size_t key_offset_ = sizeof keys_;
};

}  // namespace parley

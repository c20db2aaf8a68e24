#include "net/websocket_send_batch.h"

#include <errno.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <stdexcept>
#include <system_error>

#include "net/websocket_client_frame.h"

namespace parley {

WebSocketSendBatch::WebSocketSendBatch(Mode mode) {
  if (mode == Mode::kAuto) ring_ = std::make_unique<IoUringRing>(kRingEntries);
}

size_t WebSocketSendBatch::OutBytes(const Frame* frames, size_t frame_count) {
  size_t bytes = 0;
  for (size_t i = 0; i < frame_count; ++i) bytes += WebSocketClientHeaderBytes(frames[i].payload_bytes) + frames[i].payload_bytes;
  return bytes;
}

const uint8_t* WebSocketSendBatch::NextKey() {
  if (key_offset_ + kWebSocketMaskKeyBytes > sizeof keys_) {
    size_t filled = 0;
    while (filled < sizeof keys_) {
      const ssize_t got = getrandom(keys_ + filled, sizeof keys_ - filled, 0);
      if (got < 0 && errno != EINTR) throw std::system_error(errno, std::generic_category(), "getrandom");
      if (got > 0) filled += static_cast<size_t>(got);
    }
    key_offset_ = 0;
  }
  const uint8_t* key = keys_ + key_offset_;
  key_offset_ += kWebSocketMaskKeyBytes;
  return key;
}

void WebSocketSendBatch::Flush(const uint8_t* payloads, size_t payload_bytes, const Frame* frames, size_t frame_count,
                               Connection* connections, size_t connection_count, uint8_t* out, size_t out_capacity) {
  size_t counted = 0;
  for (size_t i = 0; i < connection_count; ++i) {
    if (connections[i].frames > frame_count - counted) throw std::invalid_argument("the connections hold more frames than were given");
    counted += connections[i].frames;
  }
  if (counted != frame_count) throw std::invalid_argument("frames not assigned to a connection");
  for (size_t i = 0; i < frame_count; ++i) {
    if (frames[i].payload_start > payload_bytes || frames[i].payload_bytes > payload_bytes - frames[i].payload_start) {
      throw std::invalid_argument("a frame's payload lies outside the payload bytes");
    }
  }
  if (OutBytes(frames, frame_count) > out_capacity) throw std::invalid_argument("out cannot hold the frames");

  sends_.clear();
  size_t next_frame = 0;
  size_t at = 0;
  for (size_t i = 0; i < connection_count; ++i) {
    Connection& connection = connections[i];
    connection.out_start = at;
    for (size_t f = 0; f < connection.frames; ++f, ++next_frame) {
      const Frame& frame = frames[next_frame];
      at += WriteWebSocketClientFrame(frame.opcode, payloads + frame.payload_start, frame.payload_bytes, NextKey(), out + at);
    }
    connection.out_bytes = at - connection.out_start;
    connection.written = -EBADF;
    if (connection.fd >= 0 && connection.out_bytes > 0) sends_.push_back({connection.fd, out + connection.out_start, connection.out_bytes, -EAGAIN});
  }

  // Without a ring, or for what a failing ring never took (still -EAGAIN: not sent), one send each.
  const bool batched = uses_io_uring() && ring_->SendAll(sends_.data(), sends_.size());
  if (!batched) {
    for (StreamSend& send : sends_) {
      if (send.result != -EAGAIN) continue;
      const ssize_t sent = ::send(send.fd, send.data, send.length, MSG_DONTWAIT | MSG_NOSIGNAL);
      send.result = sent >= 0 ? sent : -errno;
    }
  }
  size_t next_send = 0;
  for (size_t i = 0; i < connection_count; ++i) {
    Connection& connection = connections[i];
    if (connection.fd >= 0 && connection.out_bytes > 0) connection.written = sends_[next_send++].result;
  }
}

}  // namespace parley

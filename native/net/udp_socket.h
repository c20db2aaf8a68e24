// Non-blocking UDP socket owned by the media plane. Packets are moved in batches with
// recvmmsg/sendmmsg so that one JS tick drains every leg with a handful of syscalls and RTP never
// crosses into JS.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace parley {

// An IPv4 or IPv6 transport address, comparable without allocation.
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  // Throws std::invalid_argument for an unparsable host or a port outside 0..65535.
  static SocketAddress FromHostPort(const std::string& host, int port);
  bool SameAs(const SocketAddress& other) const;
  std::string host() const;
  int port() const;
  bool empty() const { return length == 0; }
};

struct ReceivedDatagram {
  const uint8_t* data;
  size_t length;
  const SocketAddress* from;
  // When the kernel received it (CLOCK_REALTIME, SO_TIMESTAMPNS), 0 if unknown. Sockets are read
  // once per 20 ms tick, so the read time would quantise every jitter measurement to the tick.
  int64_t kernel_realtime_us;
};

class UdpSocket {
 public:
  static constexpr size_t kMaxDatagramBytes = 1500;
  static constexpr size_t kBatch = 16;

  // Binds host:port (port 0 = any free port). Throws std::system_error on failure.
  UdpSocket(const std::string& host, int port);
  ~UdpSocket();
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  const SocketAddress& local() const { return local_; }
  int fd() const { return fd_; }

  // Receives up to kBatch datagrams without blocking into the socket's own buffers; the returned
  // views stay valid until the next call. Returns how many; 0 when nothing is waiting. A datagram
  // longer than kMaxDatagramBytes is reported truncated (length = kMaxDatagramBytes + 1).
  size_t ReceiveBatch(ReceivedDatagram* out);

  // Queues one datagram for the next Flush (copied; no syscall here). Returns false when the
  // batch is full or the datagram too long: the caller counts it as a send drop.
  bool Queue(const uint8_t* data, size_t length, const SocketAddress& to);
  bool has_queued() const { return queued_ != 0; }
  // Sends every queued datagram with one sendmmsg per kBatch. Returns datagrams the kernel refused.
  size_t Flush();

 private:
  int fd_ = -1;
  SocketAddress local_;

  uint8_t receive_buffers_[kBatch][kMaxDatagramBytes + 1];
  alignas(8) uint8_t receive_control_[kBatch][64];
  SocketAddress receive_from_[kBatch];
  uint8_t send_buffers_[kBatch][kMaxDatagramBytes];
  size_t send_lengths_[kBatch];
  SocketAddress send_to_[kBatch];
  size_t queued_ = 0;
};

}  // namespace parley

// Non-blocking UDP socket owned by the media plane. Packets are moved in batches with
// recvmmsg/sendmmsg so that one JS tick drains every leg with a handful of syscalls and RTP never
// crosses into JS.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace parley {

// An IPv4 or IPv6 transport address, comparable without allocation.
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  // Throws std::invalid_argument for an unparsable host or a port outside 0..65535.
  static SocketAddress FromHostPort(const std::string& host, int port);
  bool SameAs(const SocketAddress& other) const;
  // The same address, whatever the ports (a peer's RTCP comes from its RTP port + 1).
  bool SameHostAs(const SocketAddress& other) const;
  // This address with another port.
  SocketAddress WithPort(int port) const;
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

// Buffers for one recvmmsg call. One set serves every socket a thread reads, since each batch is
// consumed before the next socket is read: a set per socket was 27 KB per call that every tick
// walked through, and with hundreds of calls those cache and TLB misses cost more than the
// packets' own processing.
class ReceiveBatch {
 public:
  static constexpr size_t kSize = 16;

  ReceiveBatch();
  ReceiveBatch(const ReceiveBatch&) = delete;
  ReceiveBatch& operator=(const ReceiveBatch&) = delete;

  const ReceivedDatagram& operator[](size_t i) const { return datagrams_[i]; }

 private:
  friend class UdpSocket;

  uint8_t buffers_[kSize][1501];  // UdpSocket::kMaxDatagramBytes + 1, to see truncation
  alignas(8) uint8_t control_[kSize][64];
  SocketAddress from_[kSize];
  iovec vectors_[kSize];
  mmsghdr messages_[kSize];
  ReceivedDatagram datagrams_[kSize];
};

class UdpSocket {
 public:
  static constexpr size_t kMaxDatagramBytes = 1500;
  // Datagrams and bytes queued between two flushes: a session sends a frame or a few per tick
  // (catch-up frames, DTMF), so this is room for several ticks of the largest packets.
  static constexpr size_t kMaxQueued = 16;
  static constexpr size_t kQueueBytes = 8192;

  // Attempts at most this many ports of a range: a full range fails fast instead of scanning
  // thousands of ports inside one call's set-up.
  static constexpr int kMaxBindAttempts = 64;

  // Binds host:port (port 0 = any free port). Throws std::system_error on failure.
  UdpSocket(const std::string& host, int port);
  // Binds host to a free port of [port_min, port_max] (the operator's RTP range): from a random
  // start, up to kMaxBindAttempts consecutive ports, wrapping. Throws std::system_error
  // (EADDRINUSE) naming the range when none of them is free.
  static std::unique_ptr<UdpSocket> BindInRange(const std::string& host, int port_min, int port_max, uint32_t random);
  ~UdpSocket();
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  const SocketAddress& local() const { return local_; }
  int fd() const { return fd_; }

  // Receives up to ReceiveBatch::kSize datagrams without blocking into `batch`, whose views stay
  // valid until its next use. Returns how many; 0 when nothing is waiting. A datagram longer
  // than kMaxDatagramBytes is reported truncated (length = kMaxDatagramBytes + 1).
  size_t Receive(ReceiveBatch& batch);

  // Queues one datagram for the next Flush (copied; no syscall here). Returns false when the
  // queue is full or the datagram too long: the caller counts it as a send drop.
  bool Queue(const uint8_t* data, size_t length, const SocketAddress& to);
  bool has_queued() const { return queued_ != 0; }
  // Sends every queued datagram with one syscall. Returns datagrams the kernel refused.
  size_t Flush();

 private:
  int fd_ = -1;
  SocketAddress local_;

  uint8_t queue_bytes_[kQueueBytes];
  size_t queue_used_ = 0;
  size_t send_offsets_[kMaxQueued];
  size_t send_lengths_[kMaxQueued];
  SocketAddress send_to_[kMaxQueued];
  size_t queued_ = 0;
};

}  // namespace parley

// An RTP socket and its RTCP socket on the next port, for a leg without rtcp-mux (RFC 3550
// section 11: RTP on an even port, RTCP on the odd one after it).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "net/udp_socket.h"

namespace parley {

struct UdpSocketPair {
  std::unique_ptr<UdpSocket> rtp;
  std::unique_ptr<UdpSocket> rtcp;

  // `port` if not 0; else in [port_min, port_max] from a random even start when a range is set,
  // else on even ports the kernel picks. At most UdpSocket::kMaxBindAttempts attempts; throws
  // std::system_error (EADDRINUSE) when none gave a pair.
  static UdpSocketPair Bind(const std::string& host, int port, int port_min, int port_max, uint32_t random);
};

}  // namespace parley

#include "net/udp_socket_pair.h"

#include <cerrno>
#include <system_error>

namespace parley {
namespace {

std::unique_ptr<UdpSocket> TryBind(const std::string& host, int port) {
  try {
    return std::make_unique<UdpSocket>(host, port);
  } catch (const std::system_error& error) {
    if (error.code().value() != EADDRINUSE) throw;
    return nullptr;
  }
}

}  // namespace

UdpSocketPair UdpSocketPair::Bind(const std::string& host, int port, int port_min, int port_max, uint32_t random) {
  const bool ranged = port == 0 && port_min > 0;
  const int first_even = (port_min + 1) / 2 * 2;
  const int pairs = ranged ? (port_max - first_even + 1) / 2 : 0;
  for (int attempt = 0; attempt < UdpSocket::kMaxBindAttempts; ++attempt) {
    int rtp_port = port;
    if (ranged) {
      if (pairs <= 0) break;
      rtp_port = first_even + static_cast<int>((random + static_cast<uint32_t>(attempt)) % static_cast<uint32_t>(pairs)) * 2;
    }
    UdpSocketPair pair;
    pair.rtp = rtp_port != 0 ? TryBind(host, rtp_port) : std::make_unique<UdpSocket>(host, 0);
    if (!pair.rtp) continue;
    const int bound = pair.rtp->local().port();
    // A kernel-picked odd port is given back: RTP takes the even one of the pair.
    if (port == 0 && !ranged && bound % 2 != 0) continue;
    if (bound < 65535) pair.rtcp = TryBind(host, bound + 1);
    if (pair.rtcp) return pair;
    if (port != 0) break;
  }
  throw std::system_error(EADDRINUSE, std::generic_category(),
                          "no free RTP/RTCP port pair" + (port_min > 0 ? " in " + std::to_string(port_min) + ".." + std::to_string(port_max) : std::string()));
}

}  // namespace parley

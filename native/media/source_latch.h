// Which address an RTP leg takes the caller's media from, after rtpengine's endpoint learning
// ("heuristic" learning, strict-source, NAT handover). A first-packet-wins latch let one datagram
// from any host, sent before the caller's first, take a call's port for good.
//
//  - A signalled address (SDP c=/m=, Asterisk's UNICASTRTP_LOCAL_ADDRESS/PORT) latches at its
//    first valid packet, and takes the latch back from any other source at once.
//  - With a signalled address, other sources are refused until the learning window (from the
//    first packet seen) has passed without the signalled one: then a sustained stream
//    (kLearningPackets consecutive packets of one address and SSRC) may latch, for a caller whose
//    NAT rewrote its address. With no signalled address the first valid packet latches, and
//    within the learning window a sustained stream from another source takes over once the
//    holder has gone quiet (one stray packet before the caller's first then costs one frame).
//  - Strict: only the signalled address, ever; nothing is accepted until one is known.
//  - NAT rebinding (not strict): after the window, a new address takes over only when the holder
//    has been silent for relatch_silence_us and the new one sends relatch_packets consecutive
//    packets with the latched SSRC. With SRTP the leg only reports authenticated packets, so
//    only they can move the latch.
// Pure logic, time is a parameter: Evaluate (no state change, cheap enough to run before any
// crypto) then Apply once the packet is known to be valid.
#pragma once

#include <cstdint>

#include "media/media_refusal.h"
#include "net/udp_socket.h"

namespace parley {

struct SourceLatchConfig {
  SocketAddress signalled;
  bool strict = false;
  int64_t learning_window_us = 1'000'000;
  int64_t relatch_silence_us = 1'000'000;
  int relatch_packets = 10;
};

enum class SourceVerdict {
  kAccept,     // from the latched source
  kLatch,      // becomes the latched source with this packet
  kCandidate,  // counts toward a take-over; not played (MediaRefusal::kSourceCandidate)
  kRefuse,     // see refusal()
};

class SourceLatch {
 public:
  static constexpr int64_t kLearningSilenceUs = 60'000;  // three frames: the holder stopped
  static constexpr int kLearningPackets = 3;

  explicit SourceLatch(const SourceLatchConfig& config);

  // An empty `from` is a JS-carried transport (ICE/DTLS already bound it to its peer): accepted.
  SourceVerdict Evaluate(const SocketAddress& from, uint32_t ssrc, int64_t now_us, MediaRefusal* refusal) const;
  // Records a packet of `verdict` that passed every other check; true if it moved the latch.
  bool Apply(SourceVerdict verdict, const SocketAddress& from, uint32_t ssrc, int64_t now_us);
  // Refused packets still start the learning window.
  void Seen(int64_t now_us);

  void SetSignalled(const SocketAddress& signalled) { config_.signalled = signalled; }
  // A re-INVITE moved the peer (RFC 3264 section 8.3.1): `signalled` is its new address, which
  // latches at its first valid packet like any signalled address. The source it moved away from
  // is refused from then on, so its packets still in flight cannot take the latch back (neither
  // at once nor as a learning or NAT candidate).
  void Redirect(const SocketAddress& signalled);
  // The latched source started a new SSRC (RtpLeg's switch rule); NAT re-latching expects it.
  void FollowSsrc(uint32_t ssrc) { source_ssrc_ = ssrc; }
  bool latched() const { return latched_; }
  const SocketAddress& source() const { return source_; }
  uint64_t relatches() const { return relatches_; }

 private:
  SourceVerdict Candidate(const SocketAddress& from, uint32_t ssrc, int packets_needed) const;

  SourceLatchConfig config_;
  bool latched_ = false;
  SocketAddress source_;
  SocketAddress moved_from_;  // the source a re-INVITE moved away from (Redirect)
  uint32_t source_ssrc_ = 0;
  int64_t first_latched_us_ = 0;
  int64_t source_last_us_ = 0;
  int64_t first_seen_us_ = -1;
  SocketAddress candidate_;
  uint32_t candidate_ssrc_ = 0;
  int candidate_packets_ = 0;
  uint64_t relatches_ = 0;
};

}  // namespace parley

// The per-SSRC half of an SRTP cryptographic context (RFC 3711 section 3.2.3): each SSRC has its
// own rollover counter, highest sequence number and replay lists, as libsrtp's srtp_stream_t and
// pion's srtpSSRCState keep them. One shared set let a replayed genuine packet of an old SSRC
// overwrite the live stream's ROC, after which every live packet failed authentication.
// Bounded: a session holds at most kMaxStreams SSRCs in a fixed array (no allocation per packet);
// a new SSRC takes the least recently used slot.
#pragma once

#include <cstddef>
#include <cstdint>

#include "rtp/replay_window.h"

namespace parley {

struct SrtpStream {
  uint32_t ssrc = 0;
  bool in_use = false;
  uint64_t last_used = 0;  // the table's use counter when this stream last changed
  // Receiver (section 3.3.1): ROC and highest sequence number of the highest index accepted.
  uint32_t roc = 0;
  uint16_t highest_seq = 0;
  ReplayWindow replay;
  ReplayWindow rtcp_replay;
  // Sender: next index (ROC * 65536 + SEQ, taken from the packets) and SRTCP index.
  bool send_started = false;
  uint64_t send_index = 0;
  uint32_t rtcp_send_index = 0;
};

class SrtpStreamTable {
 public:
  static constexpr size_t kMaxStreams = 8;

  // The stream of `ssrc`, or nullptr if it has none.
  SrtpStream* Find(uint32_t ssrc);
  // A fresh stream for `ssrc` (not yet in the table) to fill in before Commit: nothing in the
  // table changes until the packet that created it authenticates.
  static SrtpStream Fresh(uint32_t ssrc);
  // Stores `stream` (found or fresh) as the most recently used one; a fresh one evicts the least
  // recently used stream when the table is full.
  SrtpStream* Commit(const SrtpStream& stream);
  size_t size() const;

 private:
  SrtpStream streams_[kMaxStreams];
  uint64_t uses_ = 0;
};

}  // namespace parley

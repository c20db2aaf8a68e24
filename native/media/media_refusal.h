// Why a leg refused an inbound datagram: one closed set, so the counters exported to /metrics
// (parley_refused_total{surface="media",reason}) stay bounded whatever arrives. Stable numbers:
// they cross into JS as SessionEventType::kRefused values and index the engine's totals.
#pragma once

#include <cstddef>
#include <cstdint>

namespace parley {

enum class MediaRefusal : uint8_t {
  kMalformed = 0,          // RTP that failed to parse, or a datagram too long
  kSrtpFailed = 1,         // SRTP authentication failed, replayed or too old
  kForeignSource = 2,      // from an address other than the latched one
  kUnsignalledSource = 3,  // before any latch, not from the signalled address (or strict source)
  kSourceCandidate = 4,    // from a new address counting toward a re-latch; not played
  kForeignSsrc = 5,        // another SSRC while the latched one was live (dropped before decrypting)
  kWrongPayloadType = 6,
};

inline constexpr size_t kMediaRefusalCount = 7;

const char* MediaRefusalName(MediaRefusal refusal);

}  // namespace parley

// The jitter buffer's packet store (NetEq's PacketBuffer): packets ordered by their position on
// the playout timeline (timestamp units, see TimelineMapper), each with its duration, so playout
// can run across packets of any length and any timestamp grid. Fixed capacity, fixed payload
// slots: nothing allocates after construction. A linear scan of a few dozen entries per insert
// is cheaper than any tree at this size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace parley {

// What a packet means besides its audio. A pause follows both kinds of silence packet: an RFC 3389
// comfort-noise packet (its payload describes the noise, not audio), and an Opus DTX packet (its
// 1-2 bytes decode to the codec's own comfort noise; RFC 6716 section 2.1.9). Nothing arrives
// until speech resumes, and that gap is the sender's silence, not loss.
enum class PacketKind : uint8_t { kAudio, kComfortNoise, kDtx };

struct BufferedPacket {
  int64_t timeline_ts = 0;   // where its first sample plays
  int64_t duration_ts = 0;
  int64_t sequence = 0;      // extended (unwrapped) RTP sequence number
  size_t length = 0;
  size_t slot = 0;           // index of its payload storage
  PacketKind kind = PacketKind::kAudio;

  int64_t end_ts() const { return timeline_ts + duration_ts; }
};

class PacketBuffer {
 public:
  enum class Status { kStored, kDuplicate, kFull };

  PacketBuffer(size_t capacity_packets, size_t max_payload_bytes);

  // `length` must be at most max_payload_bytes.
  Status Insert(int64_t timeline_ts, int64_t duration_ts, int64_t sequence, const uint8_t* payload, size_t length,
                PacketKind kind = PacketKind::kAudio);

  bool empty() const { return count_ == 0; }
  size_t size() const { return count_; }
  // The packet that plays first; nullptr when there is none.
  const BufferedPacket* Front() const { return count_ > 0 ? &order_[0] : nullptr; }
  // The payload of Front(), valid until the next Insert.
  const uint8_t* payload(const BufferedPacket& packet) const { return payloads_.data() + packet.slot * max_payload_bytes_; }
  void PopFront();
  void Clear();

 private:
  size_t max_payload_bytes_;
  std::vector<BufferedPacket> order_;  // [0, count_) sorted by timeline_ts
  size_t count_ = 0;
  std::vector<size_t> free_slots_;     // a stack of unused payload slots
  std::vector<uint8_t> payloads_;
};

}  // namespace parley

#include "media/packet_buffer.h"

#include <cstring>

namespace parley {

PacketBuffer::PacketBuffer(size_t capacity_packets, size_t max_payload_bytes)
    : max_payload_bytes_(max_payload_bytes),
      order_(capacity_packets),
      free_slots_(capacity_packets),
      payloads_(capacity_packets * max_payload_bytes) {
  Clear();
}

PacketBuffer::Status PacketBuffer::Insert(int64_t timeline_ts, int64_t duration_ts, int64_t sequence,
                                          const uint8_t* payload, size_t length,
                                          PacketKind kind) {
  size_t at = count_;
  while (at > 0 && order_[at - 1].timeline_ts >= timeline_ts) --at;
  if (at < count_ && (order_[at].timeline_ts == timeline_ts || order_[at].sequence == sequence)) return Status::kDuplicate;
  if (at > 0 && order_[at - 1].sequence == sequence) return Status::kDuplicate;
  if (count_ == order_.size()) return Status::kFull;
  for (size_t i = count_; i > at; --i) order_[i] = order_[i - 1];
  BufferedPacket& packet = order_[at];
  packet.timeline_ts = timeline_ts;
  packet.duration_ts = duration_ts;
  packet.sequence = sequence;
  packet.length = length;
  packet.kind = kind;
  packet.slot = free_slots_.back();
  free_slots_.pop_back();
  std::memcpy(payloads_.data() + packet.slot * max_payload_bytes_, payload, length);
  ++count_;
  return Status::kStored;
}

void PacketBuffer::PopFront() {
  if (count_ == 0) return;
  free_slots_.push_back(order_[0].slot);
  for (size_t i = 1; i < count_; ++i) order_[i - 1] = order_[i];
  --count_;
}

void PacketBuffer::Clear() {
  count_ = 0;
  free_slots_.clear();
  for (size_t i = order_.size(); i > 0; --i) free_slots_.push_back(i - 1);
}

}  // namespace parley

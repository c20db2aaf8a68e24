#include "rtp/srtp_stream_table.h"

namespace parley {

SrtpStream* SrtpStreamTable::Find(uint32_t ssrc) {
  for (SrtpStream& stream : streams_) {
    if (stream.in_use && stream.ssrc == ssrc) return &stream;
  }
  return nullptr;
}

SrtpStream SrtpStreamTable::Fresh(uint32_t ssrc) {
  SrtpStream stream;
  stream.ssrc = ssrc;
  return stream;
}

SrtpStream* SrtpStreamTable::Commit(const SrtpStream& stream) {
  SrtpStream* slot = Find(stream.ssrc);
  if (slot == nullptr) {
    slot = &streams_[0];
    for (SrtpStream& candidate : streams_) {
      if (!candidate.in_use) {
        slot = &candidate;
        break;
      }
      if (candidate.last_used < slot->last_used) slot = &candidate;
    }
  }
  if (slot != &stream) *slot = stream;
  slot->in_use = true;
  slot->last_used = ++uses_;
  return slot;
}

size_t SrtpStreamTable::size() const {
  size_t count = 0;
  for (const SrtpStream& stream : streams_) count += stream.in_use ? 1 : 0;
  return count;
}

}  // namespace parley

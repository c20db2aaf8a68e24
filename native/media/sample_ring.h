// Copying a run of samples into or out of a ring buffer (a vector used circularly). A run sits
// in at most two pieces, up to the end of the storage and then from its start, so it is two
// memcpy calls: indexing modulo the size per sample was a division per sample, a tenth of a
// PCMU call's CPU in the playout queue.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace parley {

// Writes `count` samples (at most ring.size()) starting at index `at` (< ring.size()).
inline void RingWrite(std::vector<int16_t>& ring, size_t at, const int16_t* from, size_t count) {
  const size_t first = std::min(count, ring.size() - at);
  std::memcpy(ring.data() + at, from, first * sizeof(int16_t));
  std::memcpy(ring.data(), from + first, (count - first) * sizeof(int16_t));
}

// Reads `count` samples (at most ring.size()) starting at index `at` (< ring.size()).
inline void RingRead(const std::vector<int16_t>& ring, size_t at, int16_t* to, size_t count) {
  const size_t first = std::min(count, ring.size() - at);
  std::memcpy(to, ring.data() + at, first * sizeof(int16_t));
  std::memcpy(to + first, ring.data(), (count - first) * sizeof(int16_t));
}

}  // namespace parley

// A sum over a block of samples or a spectrum's bins, in kSumLanes interleaved partial sums added
// pairwise at the end. A sum in index order is one chain of dependent additions that the compiler
// may not reorder (floats are not associative, and the addon is built without -ffast-math), so
// such loops stayed scalar: callgrind over bench/echo/canceller-cpu.ts's 8 kHz fixture put a tenth
// of the echo canceller's instructions in them. In lanes the loop vectorises, and the order of
// the additions is still fixed (the same floats on every run of one clone, vector_clones.h).
#pragma once

#include <cstddef>

namespace parley {

constexpr size_t kSumLanes = 8;

// Σ term(i) for i < count. `term` is inlined into the lanes' loop: keep it a cheap expression of i.
template <typename Term>
inline __attribute__((always_inline)) float LaneSum(size_t count, Term term) {
  float lanes[kSumLanes] = {};
  const size_t whole = count - count % kSumLanes;
  for (size_t i = 0; i < whole; i += kSumLanes) {
    for (size_t j = 0; j < kSumLanes; ++j) lanes[j] += term(i + j);
  }
  for (size_t i = whole; i < count; ++i) lanes[i - whole] += term(i);
  for (size_t width = kSumLanes / 2; width > 0; width /= 2) {
    for (size_t j = 0; j < width; ++j) lanes[j] += lanes[j + width];
  }
  return lanes[0];
}

}  // namespace parley

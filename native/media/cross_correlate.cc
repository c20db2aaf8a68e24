#include "media/cross_correlate.h"

#include <cstring>

#include "dsp/vector_clones.h"

namespace parley {
namespace {

// Four lanes as one vector (GCC's and Clang's vector extension; an AVX2 register): written as
// loops over lanes, GCC vectorised across the window instead, shuffling every load.
typedef double Quad __attribute__((vector_size(4 * sizeof(double))));
constexpr size_t kQuads = kCrossBlockLags / 4;

// sum += at[0..3] × w (by reference: a vector returned by value changes the ABI between clones).
inline void MultiplyAdd(Quad& sum, const double* at, double w) {
  Quad quad;
  std::memcpy(&quad, at, sizeof quad);
  sum += quad * w;
}

PARLEY_VECTOR_CLONES
void Block(const double* __restrict signal, const double* __restrict window, size_t window_size, double* __restrict cross) {
  Quad even[kQuads] = {};
  Quad odd[kQuads] = {};
  size_t i = 0;
  for (; i + 1 < window_size; i += 2) {
    for (size_t q = 0; q < kQuads; ++q) {
      MultiplyAdd(even[q], signal + i + 4 * q, window[i]);
      MultiplyAdd(odd[q], signal + i + 1 + 4 * q, window[i + 1]);
    }
  }
  for (size_t q = 0; q < kQuads; ++q) {
    if (i < window_size) MultiplyAdd(even[q], signal + i + 4 * q, window[i]);
    const Quad sums = even[q] + odd[q];
    std::memcpy(cross + 4 * q, &sums, sizeof sums);
  }
}

}  // namespace

void CrossCorrelate(const double* signal, const double* window, size_t window_size, size_t count, double* cross) {
  for (size_t start = 0; start < count; start += kCrossBlockLags) Block(signal + start, window, window_size, cross + start);
}

}  // namespace parley

// The last `size` samples of an integer-valued signal (each under 2^21 in magnitude, its square
// under 2^42), and the energies of its segments. Segments' energies come
// from running sums of the squares where the ring keeps them (kRunningSums: any segment's energy
// is the difference of two sums, for a pass over many consecutive segments); otherwise from a
// sum over the first segment slid along (kOnDemand: for a few segments at a time, which spares
// writing 8 bytes a sample every frame into a ring that, with hundreds of calls, has left the
// cache by the next frame). Both are exact: the running sums wrap modulo 2^64 over a long call,
// but a difference of two of them is the exact energy between them, which over up to 1024
// samples is under 2^52 and so exact in a double; the slid sums are exact integers too. So both
// give the same energies to the bit. Samples are kept as doubles, what the correlations multiply.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "media/mirrored_ring.h"

namespace parley {

class EnergyRing {
 public:
  enum class Sums { kRunningSums, kOnDemand };

  EnergyRing(size_t size, size_t pad, Sums sums);

  // `count` samples (at most size()), each holding an integer.
  void Push(const double* samples, size_t count);
  // Oldest first: size() samples, and the ring's `pad` more that may be read.
  const double* samples() const { return samples_.oldest(); }
  size_t size() const { return samples_.size(); }
  // Σ x² over samples()[start, start + length); start + length <= size(), length <= 1024.
  double Energy(size_t start, size_t length) const;
  // out[k] = Energy(first + k, length) for k < count.
  void Energies(size_t first, size_t count, size_t length, double* out) const;

 private:
  MirroredRing<double> samples_;
  bool running_sums_;
  // With running sums, one more than the samples: sums_.oldest()[k] is the running sum before
  // samples()[k].
  MirroredRing<uint64_t> sums_;
  uint64_t running_ = 0;
  std::vector<uint64_t> pushed_sums_;  // a Push's running sums, before they go in the ring
};

}  // namespace parley

#include "media/energy_ring.h"

#include <algorithm>
#include <cstring>

#include "dsp/vector_clones.h"

namespace parley {

EnergyRing::EnergyRing(size_t size, size_t pad) : samples_(size, pad), sums_(size + 1, 0), pushed_sums_(size) {}

void EnergyRing::Push(const double* samples, size_t count) {
  count = std::min(count, size());
  // The running sum in a local: as a member, each store to pushed_sums_ (which might alias it)
  // made the compiler store and reload it per sample.
  uint64_t running = running_;
  for (size_t i = 0; i < count; ++i) {
    const int64_t x = static_cast<int64_t>(samples[i]);
    running += static_cast<uint64_t>(x * x);
    pushed_sums_[i] = running;
  }
  running_ = running;
  samples_.Push(samples, count);
  sums_.Push(pushed_sums_.data(), count);
}

double EnergyRing::Energy(size_t start, size_t length) const {
  double energy;
  Energies(start, 1, length, &energy);
  return energy;
}

namespace {

PARLEY_VECTOR_CLONES
void Differences(const uint64_t* __restrict sums, size_t count, size_t length, double* __restrict out) {
  // An energy is under 2^52: OR-ed into the mantissa of 2^52 it is exact, and subtracting 2^52
  // leaves it as a double. Unlike a conversion from a 64-bit integer (AVX-512 only), this vectorises.
  constexpr uint64_t kTwo52Bits = 0x4330000000000000ull;
  constexpr double kTwo52 = 4503599627370496.0;
  for (size_t k = 0; k < count; ++k) {
    const uint64_t bits = (sums[k + length] - sums[k]) | kTwo52Bits;
    double biased;
    std::memcpy(&biased, &bits, sizeof biased);
    out[k] = biased - kTwo52;
  }
}

}  // namespace

void EnergyRing::Energies(size_t first, size_t count, size_t length, double* out) const {
  Differences(sums_.oldest() + first, count, length, out);
}

}  // namespace parley

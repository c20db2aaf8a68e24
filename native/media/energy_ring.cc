#include "media/energy_ring.h"

#include <algorithm>
#include <cstring>

#include "dsp/vector_clones.h"

namespace parley {

EnergyRing::EnergyRing(size_t size, size_t pad, Sums sums)
    : samples_(size, pad),
      running_sums_(sums == Sums::kRunningSums),
      sums_(running_sums_ ? size + 1 : 0, 0),
      pushed_sums_(running_sums_ ? size : 0) {}

void EnergyRing::Push(const double* samples, size_t count) {
  count = std::min(count, size());
  samples_.Push(samples, count);
  if (!running_sums_) return;
  // The running sum in a local: as a member, each store to pushed_sums_ (which might alias it)
  // made the compiler store and reload it per sample.
  uint64_t running = running_;
  for (size_t i = 0; i < count; ++i) {
    const int64_t x = static_cast<int64_t>(samples[i]);
    running += static_cast<uint64_t>(x * x);
    pushed_sums_[i] = running;
  }
  running_ = running;
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

// Σ x² over samples[0, length). The squares and their sums are integers under 2^53, exact in a
// double in any order: four lanes of four sums each, for the adds' latency and the vector unit.
typedef double Quad __attribute__((vector_size(4 * sizeof(double))));

PARLEY_VECTOR_CLONES
double SquareSum(const double* samples, size_t length) {
  Quad sums[4] = {};
  size_t i = 0;
  for (; i + 16 <= length; i += 16) {
    for (size_t lane = 0; lane < 4; ++lane) {
      Quad x;
      std::memcpy(&x, samples + i + 4 * lane, sizeof x);
      sums[lane] += x * x;
    }
  }
  const Quad quad = (sums[0] + sums[1]) + (sums[2] + sums[3]);
  double sum = (quad[0] + quad[1]) + (quad[2] + quad[3]);
  for (; i < length; ++i) sum += samples[i] * samples[i];
  return sum;
}

}  // namespace

void EnergyRing::Energies(size_t first, size_t count, size_t length, double* out) const {
  if (running_sums_) {
    Differences(sums_.oldest() + first, count, length, out);
    return;
  }
  const double* x = samples() + first;
  double energy = SquareSum(x, length);
  for (size_t k = 0; k < count; ++k) {
    out[k] = energy;
    if (k + 1 == count) break;
    energy += x[k + length] * x[k + length] - x[k] * x[k];
  }
}

}  // namespace parley

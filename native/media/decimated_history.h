// What EchoMatcher correlates, for one direction (sent or heard): the stream decimated to 4 kHz
// (fine) and again to 1 kHz (coarse), each sample the sum of the input samples it covers rather
// than their mean. The matcher's scores are normalised, so the scale cancels, and sums keep every
// sample an integer: under 2^21 in magnitude (48 input samples of 16 bits at 1 kHz from 48 kHz),
// with products and a 60 ms window's sums of them under 2^48, exact in a double. Sums of those
// products are then the same to the bit in any order and in pieces, which lets the matcher add up
// partial sums taken in earlier frames instead of recomputing them.
// (Where the decimation is a power of two, as from 8 and 16 kHz, means were exact too and the
// scores are the same to the bit as from means; from 24 and 48 kHz a mean was rounded to a float.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "media/energy_ring.h"

namespace parley {

class DecimatedHistory {
 public:
  static constexpr size_t kCoarseFactor = 4;  // 4 kHz → 1 kHz
  enum class Rate { kFine, kCoarse };

  // `fine_size` samples at 4 kHz (a multiple of kCoarseFactor), the input being at
  // `decimation` × 4 kHz, `frame_fine` 4 kHz samples pushed a frame; `pad` samples past each
  // level's newest may be read.
  DecimatedHistory(size_t fine_size, size_t frame_fine, size_t decimation, size_t pad);

  // One frame (`samples` long; nullptr for silence): frame_fine samples at 4 kHz, whatever
  // `samples` holds (zeros where it falls short), and a kCoarseFactor-th of that at 1 kHz.
  void Push(const int16_t* frame, size_t samples);
  const EnergyRing& fine() const { return fine_; }
  const EnergyRing& coarse() const { return coarse_; }
  const EnergyRing& level(Rate rate) const { return rate == Rate::kFine ? fine_ : coarse_; }
  // Fine samples that hold audio pushed (the rest are the zeros the history started with).
  size_t filled() const { return filled_; }
  uint64_t pushes() const { return pushes_; }
  // Samples each Push adds at `rate`.
  size_t per_push(Rate rate) const { return rate == Rate::kFine ? per_push_ : per_push_ / kCoarseFactor; }

 private:
  size_t decimation_;
  size_t per_push_;  // fine samples a Push adds
  // The fine level's energies are wanted a few lags at a time (the refinement), the coarse
  // level's at every lag (the search): only the coarse level keeps running sums.
  EnergyRing fine_;
  EnergyRing coarse_;
  std::vector<double> frame_fine_;    // this push's samples at 4 kHz
  std::vector<double> frame_coarse_;  // and at 1 kHz
  size_t filled_ = 0;
  uint64_t pushes_ = 0;
};

}  // namespace parley

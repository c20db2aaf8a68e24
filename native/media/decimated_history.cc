#include "media/decimated_history.h"

#include <algorithm>

namespace parley {
namespace {

// out[i] = the sum of in[i × decimation ..] over `decimation` samples, for i < count. With the
// decimation a constant the loop vectorises.
template <size_t kDecimation>
void SumEvery(const int16_t* in, size_t count, double* out) {
  for (size_t i = 0; i < count; ++i) {
    int32_t sum = 0;
    for (size_t k = 0; k < kDecimation; ++k) sum += in[i * kDecimation + k];
    out[i] = sum;
  }
}

void SumEvery(const int16_t* in, size_t decimation, size_t count, double* out) {
  switch (decimation) {
    case 1: return SumEvery<1>(in, count, out);
    case 2: return SumEvery<2>(in, count, out);
    case 4: return SumEvery<4>(in, count, out);
    case 6: return SumEvery<6>(in, count, out);
    case 12: return SumEvery<12>(in, count, out);
    default:
      for (size_t i = 0; i < count; ++i) {
        int32_t sum = 0;
        for (size_t k = 0; k < decimation; ++k) sum += in[i * decimation + k];
        out[i] = sum;
      }
  }
}

}  // namespace

DecimatedHistory::DecimatedHistory(size_t fine_size, size_t frame_fine, size_t decimation, size_t pad)
    : decimation_(std::max<size_t>(1, decimation)),
      per_push_(std::min(frame_fine, fine_size)),
      fine_(fine_size, pad, EnergyRing::Sums::kOnDemand),
      coarse_(fine_size / kCoarseFactor, pad, EnergyRing::Sums::kRunningSums),
      frame_fine_(per_push_),
      frame_coarse_(per_push_ / kCoarseFactor) {}

void DecimatedHistory::Push(const int16_t* frame, size_t samples) {
  // Summing over the decimation factor is a crude low-pass, enough for a similarity test.
  const size_t whole = frame != nullptr ? std::min(per_push_, samples / decimation_) : 0;
  SumEvery(frame, decimation_, whole, frame_fine_.data());
  std::fill(frame_fine_.begin() + static_cast<std::ptrdiff_t>(whole), frame_fine_.end(), 0.0);
  for (size_t i = 0; i < frame_coarse_.size(); ++i) {
    double sum = 0;
    for (size_t k = 0; k < kCoarseFactor; ++k) sum += frame_fine_[i * kCoarseFactor + k];
    frame_coarse_[i] = sum;
  }
  fine_.Push(frame_fine_.data(), frame_fine_.size());
  coarse_.Push(frame_coarse_.data(), frame_coarse_.size());
  filled_ = std::min(fine_.size(), filled_ + per_push_);
  ++pushes_;
}

}  // namespace parley

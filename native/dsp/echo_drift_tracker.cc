#include "dsp/echo_drift_tracker.h"

#include <algorithm>
#include <cmath>

namespace parley {
namespace {

// Blocks between two looks at the response (half a second at 10 ms): a 100 ppm drift moves it
// 0.4 samples at 8 kHz in that time, and the peak's jitter on a still path is ±0.002 samples a
// look, so each look's rate is taken as it is. Measured on the echo bench's sliding trace: 35.8
// dB steady ERLE; looks every 250 ms 32.4 (every 250 ms with 1.5x the look's rate: unstable),
// every second with half the look's rate 26.5 (the rate took 8 s to settle).
constexpr int kMeasureBlocks = 50;
// Larger moves in one look are not a clock's drift but the peak hopping between two strong taps
// (a hybrid's ringing): 1.5 samples a look at 8 kHz, 3 at 16. A single look reads up to 1.5x the
// drift (the sub-sample estimate's pull toward whole taps), so 100 ppm stays well inside.
constexpr double kMaxDriftPpm = 375.0;

}  // namespace

EchoDriftTracker::EchoDriftTracker(size_t fft_size, size_t block_samples, size_t partitions)
    : block_(block_samples), bins_(fft_size / 2 + 1), partitions_(partitions), fft_(fft_size), taps_(3 * block_samples, 0.0f) {}

void EchoDriftTracker::Restart() {
  last_peak_ = -1.0f;
  blocks_ = 0;
}

void EchoDriftTracker::Reset() {
  Restart();
  samples_per_block_ = 0.0f;
}

float EchoDriftTracker::PeakPosition(const float* weights_re, const float* weights_im) {
  // The strongest partition (Parseval: its bins' power), then its taps.
  size_t strongest = 0;
  float strongest_power = -1.0f;
  for (size_t p = 0; p < partitions_; ++p) {
    float power = 0.0f;
    for (size_t k = 0; k < bins_; ++k) {
      power += weights_re[p * bins_ + k] * weights_re[p * bins_ + k] + weights_im[p * bins_ + k] * weights_im[p * bins_ + k];
    }
    if (power > strongest_power) {
      strongest_power = power;
      strongest = p;
    }
  }
  // Its taps with its neighbours' on either side, so a peak at its edge has both of its own.
  for (size_t slot = 0; slot < 3; ++slot) {
    float* taps = &taps_[slot * block_];
    const size_t p = strongest + slot;  // partition strongest - 1 + slot, from 1 to stay unsigned
    if (p == 0 || p > partitions_) {
      std::fill_n(taps, block_, 0.0f);
      continue;
    }
    fft_.Inverse(weights_re + (p - 1) * bins_, weights_im + (p - 1) * bins_, 0, block_, taps);
  }
  // The strongest tap may sit just over the partition's edge: the partition holding most of the
  // response's energy need not hold its peak.
  size_t peak = 1;
  for (size_t i = 2; i + 1 < taps_.size(); ++i) {
    if (std::abs(taps_[i]) > std::abs(taps_[peak])) peak = i;
  }
  const float before = taps_[peak - 1];
  const float at = taps_[peak];
  const float after = taps_[peak + 1];
  const float curvature = before - 2.0f * at + after;
  const float fraction = curvature == 0.0f ? 0.0f : std::clamp(0.5f * (before - after) / curvature, -0.5f, 0.5f);
  return static_cast<float>(strongest * block_) + static_cast<float>(peak) - static_cast<float>(block_) + fraction;
}

void EchoDriftTracker::Skip(int blocks) {
  if (last_peak_ >= 0.0f) blocks_ += blocks;
}

void EchoDriftTracker::Update(const float* weights_re, const float* weights_im) {
  if (last_peak_ >= 0.0f && ++blocks_ < kMeasureBlocks) return;
  const float peak = PeakPosition(weights_re, weights_im);
  if (last_peak_ >= 0.0f && peak >= 0.0f) {
    const float moved = peak - last_peak_;
    const double max_move = kMaxDriftPpm * 1e-6 * static_cast<double>(blocks_) * static_cast<double>(block_);
    if (std::abs(moved) <= max_move) {
      samples_per_block_ = moved / static_cast<float>(blocks_);
    }
  }
  last_peak_ = peak;
  blocks_ = 0;
}

}  // namespace parley

#include "dsp/echo_step_detector.h"

#include <algorithm>

namespace parley {
namespace {

// Per-block smoothing of each lag's error (about two blocks' memory): one block's sums are
// dominated by a syllable's onset or end.
constexpr float kSmoothing = 0.5f;
// A lag's error must be below this part of the current one (-6 dB) ...
constexpr float kStepRatio = 0.25f;
// ... for this many blocks in a row, or below this (-17 dB) in one.
constexpr int kStepBlocks = 2;
constexpr float kSureStepRatio = 0.02f;
// Error power per sample (int16 units²) under which nothing is decided: about -50 dBFS, under
// any echo worth cancelling and over a line's hiss.
constexpr float kMinPower = 10000.0f;

float ErrorEnergy(const float* __restrict capture, const float* __restrict estimate, size_t samples) {
  float sum = 0.0f;
  for (size_t i = 0; i < samples; ++i) {
    const float e = capture[i] - estimate[i];
    sum += e * e;
  }
  return sum;
}

}  // namespace

EchoStepDetector::EchoStepDetector(size_t block_samples, int max_step_blocks)
    : block_(block_samples),
      max_step_(max_step_blocks),
      history_(max_step_blocks + 1),
      capture_ring_(block_samples * static_cast<size_t>(history_), 0.0f),
      estimate_ring_(block_samples * static_cast<size_t>(history_), 0.0f),
      error_ring_(static_cast<size_t>(history_), 0.0f),
      lag_error_(static_cast<size_t>(2 * max_step_blocks + 1), 0.0f),
      own_error_(static_cast<size_t>(2 * max_step_blocks + 1), 0.0f) {}

const float* EchoStepDetector::Block(const std::vector<float>& ring, int age) const {
  const int slot = (newest_ + history_ - age) % history_;
  return &ring[static_cast<size_t>(slot) * block_];
}

void EchoStepDetector::Clear() {
  std::fill(lag_error_.begin(), lag_error_.end(), 0.0f);
  std::fill(own_error_.begin(), own_error_.end(), 0.0f);
  candidate_ = 0;
  candidate_blocks_ = 0;
}

int EchoStepDetector::Update(const float* capture, const float* echo_estimate, bool armed) {
  newest_ = newest_ + 1 == history_ ? 0 : newest_ + 1;
  std::copy_n(capture, block_, &capture_ring_[static_cast<size_t>(newest_) * block_]);
  std::copy_n(echo_estimate, block_, &estimate_ring_[static_cast<size_t>(newest_) * block_]);
  error_ring_[static_cast<size_t>(newest_)] = ErrorEnergy(capture, echo_estimate, block_);
  if (quiet_blocks_ > 0) --quiet_blocks_;
  // While the filter leaves only a whisper of error in every block a lag would look at, nothing
  // can have stepped: most blocks of a converged filter, so they skip the sums.
  const bool loud = *std::max_element(error_ring_.begin(), error_ring_.end()) > kMinPower * static_cast<float>(block_);
  if (!armed || quiet_blocks_ > 0 || !loud) {
    Clear();
    return 0;
  }
  int best = 0;
  float best_ratio = 1.0f;
  for (int step = -max_step_; step <= max_step_; ++step) {
    if (step == 0) continue;
    // The echo `step` blocks later: the newest capture against the estimate `step` blocks old;
    // earlier: the capture `-step` blocks old against the newest estimate.
    const int capture_age = std::max(0, -step);
    const float* old_capture = Block(capture_ring_, capture_age);
    const float* estimate = Block(estimate_ring_, std::max(0, step));
    const size_t index = static_cast<size_t>(step + max_step_);
    lag_error_[index] = kSmoothing * lag_error_[index] + ErrorEnergy(old_capture, estimate, block_);
    own_error_[index] = kSmoothing * own_error_[index] + error_ring_[static_cast<size_t>((newest_ + history_ - capture_age) % history_)];
    const float ratio = lag_error_[index] / (own_error_[index] + 1.0f);
    if (ratio < best_ratio && own_error_[index] > kMinPower * static_cast<float>(block_)) {
      best_ratio = ratio;
      best = step;
    }
  }
  if (best == 0 || best_ratio >= kStepRatio) {
    candidate_blocks_ = 0;
    return 0;
  }
  if (best != candidate_) {
    candidate_ = best;
    candidate_blocks_ = 0;
  }
  if (++candidate_blocks_ < kStepBlocks && best_ratio >= kSureStepRatio) return 0;
  Clear();
  // The rings still hold estimates of the unmoved filter: they would match the moved path.
  quiet_blocks_ = history_;
  return best;
}

}  // namespace parley

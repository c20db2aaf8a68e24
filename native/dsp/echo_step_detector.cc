#include "dsp/echo_step_detector.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "dsp/lane_sum.h"
#include "dsp/vector_clones.h"

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
// The newest block's error must be at least this part (-10 dB) of its capture for the lags to
// be searched: a converged filter's loud echo leaves an error over kMinPower but far under this,
// and every lag's sums would be spent on it; a step leaves about the echo itself.
constexpr float kMismatch = 0.1f;
// And the error must be anti-correlated with the estimate (normalised, at most this): a moved
// echo leaves the estimate's own shape, negated, where the echo no longer is, while the
// caller's speech, in no estimate, leaves little. Callgrind over bench/echo/canceller-cpu.ts's
// fixtures (the caller talking from 5 s): 154.7 M instructions without this, 118.6 M with it
// (94.2 M with whole-block lags only); at 0.3 (and armed only with a kept filter) 96.8 M, but
// the echo bench's 20 ms steps were taken a few blocks late (stepping trace 41.9 -> 37.4 dB).
constexpr float kAntiCorrelation = 0.1f;
// Two blocks' best lags this close (samples) are the same step: on speech the best lag of a
// block can sit a sample off the step's.
constexpr int kSameStepSamples = 1;

// sums[j] += Σ_i (fixed[i] - moving[i + j])² for j < lags: the lags' error sums, a lag per
// element, so the inner loop runs over lags and vectorises (a sum per lag would not: its
// additions must stay in order).
PARLEY_VECTOR_CLONES
void LagSums(const float* __restrict fixed, const float* __restrict moving, size_t samples, size_t lags, float* __restrict sums) {
  for (size_t i = 0; i < samples; ++i) {
    const float f = fixed[i];
    const float* m = moving + i;
    for (size_t j = 0; j < lags; ++j) {
      const float e = f - m[j];
      sums[j] += e * e;
    }
  }
}

}  // namespace

EchoStepDetector::EchoStepDetector(size_t block_samples, int max_step_blocks)
    : block_(block_samples),
      max_lag_(max_step_blocks * static_cast<int>(block_samples)),
      history_(max_step_blocks + 1),
      span_(block_samples * static_cast<size_t>(max_step_blocks + 1)),
      capture_(span_, 0),
      estimate_(span_, 0),
      block_error_(static_cast<size_t>(history_), 0.0f),
      lag_error_(static_cast<size_t>(2 * max_lag_ + 1), 0.0f),
      own_error_(static_cast<size_t>(2 * max_lag_ + 1), 0.0f),
      sums_(static_cast<size_t>(2 * max_lag_ + 1), 0.0f),
      lag_capture_(static_cast<size_t>(2 * max_lag_ + 1), 0.0f),
      prefix_(span_ + 1, 0.0),
      capture_prefix_(span_ + 1, 0.0) {}

void EchoStepDetector::Clear() {
  candidate_ = 0;
  candidate_blocks_ = 0;
  // Most blocks clear what is already clear: thousands of floats a block (callgrind: a quarter
  // of the canceller's instructions went to memset).
  if (cleared_) return;
  cleared_ = true;
  std::fill(lag_error_.begin(), lag_error_.end(), 0.0f);
  std::fill(own_error_.begin(), own_error_.end(), 0.0f);
  std::fill(lag_capture_.begin(), lag_capture_.end(), 0.0f);
}

int EchoStepDetector::Update(const float* capture, const float* echo_estimate, bool armed) {
  // The newest block goes last.
  const size_t newest = span_ - block_;
  std::rotate(block_error_.begin(), block_error_.begin() + 1, block_error_.end());
  capture_.Push(capture, block_);
  estimate_.Push(echo_estimate, block_);
  // The block's sums (in lanes, lane_sum.h), each only once the tests before it have passed: an
  // unarmed detector needs only the error (for `loud` in the blocks after), a converged filter's
  // block fails the mismatch test on the error and capture alone.
  const float error_sum = LaneSum(block_, [&](size_t i) { return (capture[i] - echo_estimate[i]) * (capture[i] - echo_estimate[i]); });
  block_error_.back() = error_sum;
  if (quiet_blocks_ > 0) --quiet_blocks_;
  // While the filter leaves only a whisper of error in every block a lag would look at, nothing
  // can have stepped: most blocks of a converged filter, so they skip the sums.
  const bool loud = *std::max_element(block_error_.begin(), block_error_.end()) > kMinPower * static_cast<float>(block_);
  if (!armed || quiet_blocks_ > 0 || !loud) {
    Clear();
    return 0;
  }
  const float capture_sum = LaneSum(block_, [&](size_t i) { return capture[i] * capture[i]; });
  if (error_sum < kMismatch * capture_sum) {
    Clear();
    return 0;
  }
  const float estimate_sum = LaneSum(block_, [&](size_t i) { return echo_estimate[i] * echo_estimate[i]; });
  const float cross = LaneSum(block_, [&](size_t i) { return (capture[i] - echo_estimate[i]) * echo_estimate[i]; });
  if (-cross < kAntiCorrelation * std::sqrt(error_sum * estimate_sum)) {
    Clear();
    return 0;
  }
  cleared_ = false;
  const size_t lags = static_cast<size_t>(max_lag_);
  std::fill(sums_.begin(), sums_.end(), 0.0f);
  // An earlier echo (sums_[max_lag_ + L], L < 0): the capture -L samples older against the newest
  // estimate. A later one (L > 0): the newest capture against the estimate L samples older, summed
  // from the oldest lag on and turned round.
  const float* captured = capture_.oldest();
  const float* estimated = estimate_.oldest();
  LagSums(&estimated[newest], &captured[newest - lags], block_, lags, &sums_[0]);
  LagSums(&captured[newest], &estimated[newest - lags], block_, lags, &sums_[lags + 1]);
  std::reverse(sums_.begin() + static_cast<std::ptrdiff_t>(lags) + 1, sums_.end());
  // Lag 0's error on the capture each lag compares: the newest block for a later echo, the
  // stretch -L samples older for an earlier one (from prefix sums, in double so hundreds of
  // differences of large sums keep their precision).
  prefix_[0] = 0.0;
  capture_prefix_[0] = 0.0;
  for (size_t i = 0; i < span_; ++i) {
    const float e = captured[i] - estimated[i];
    prefix_[i + 1] = prefix_[i] + static_cast<double>(e * e);
    capture_prefix_[i + 1] = capture_prefix_[i] + static_cast<double>(captured[i]) * static_cast<double>(captured[i]);
  }
  int best = 0;
  float best_ratio = 1.0f;
  for (int step = -max_lag_; step <= max_lag_; ++step) {
    if (step == 0) continue;
    const size_t index = static_cast<size_t>(step + max_lag_);
    const size_t from = step < 0 ? newest - static_cast<size_t>(-step) : newest;
    const float own = static_cast<float>(prefix_[from + block_] - prefix_[from]);
    lag_error_[index] = kSmoothing * lag_error_[index] + sums_[index];
    own_error_[index] = kSmoothing * own_error_[index] + own;
    lag_capture_[index] = kSmoothing * lag_capture_[index] + static_cast<float>(capture_prefix_[from + block_] - capture_prefix_[from]);
    const float ratio = lag_error_[index] / (own_error_[index] + 1.0f);
    // The lag must also explain the capture, not only beat the current error: at a word's onset
    // a later echo leaves the capture silent where the current estimate is loud, and any lag whose
    // estimate is silent there beat it by far (a 16 ms step was taken for 55 ms).
    const bool explains = lag_error_[index] < kStepRatio * lag_capture_[index];
    if (ratio < best_ratio && explains && own_error_[index] > kMinPower * static_cast<float>(block_)) {
      best_ratio = ratio;
      best = step;
    }
  }
  if (best == 0 || best_ratio >= kStepRatio) {
    candidate_blocks_ = 0;
    return 0;
  }
  if (std::abs(best - candidate_) > kSameStepSamples) candidate_blocks_ = 0;
  candidate_ = best;
  if (++candidate_blocks_ < kStepBlocks && best_ratio >= kSureStepRatio) return 0;
  Clear();
  // The history still holds estimates of the unmoved filter: they would match the moved path.
  quiet_blocks_ = history_;
  return best;
}

}  // namespace parley

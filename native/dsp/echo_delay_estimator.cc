#include "dsp/echo_delay_estimator.h"

#include <algorithm>
#include <cmath>

#include "dsp/first_largest.h"
#include "dsp/lane_sum.h"
#include "dsp/vector_clones.h"

namespace parley {
namespace {

// Envelope means and the covariances forget with a time constant of this many sub-blocks
// (1.5 s at 5 ms): long enough that double talk only blurs the peak, short enough that a new
// path overtakes the old one within about a second.
constexpr float kForgetSubBlocks = 300.0f;
// A second, fast set of covariances (350 ms) catches a step of the delay (a jitter buffer
// inserting or dropping a frame) in about 300-500 ms instead of the slow set's 1.2 s: the
// filter's learnt response is then moved with it, not relearnt. Measured on the echo bench's
// stepping trace: 500 ms (with 100 ms persistence) left a second of 8-19 dB ERLE after each
// step, 250 ms moved the delay under the caller's double talk (recall 0.90).
constexpr float kFastForgetSubBlocks = 70.0f;
// The fast set's peak must hold this many sub-blocks.
constexpr int kFastSwitchSubBlocks = 10;
// The fast set moves the delay only when its peak stands out this clearly (normalised
// correlation): the caller talking blurs it below this, and then only the slow set decides.
constexpr float kFastMinConfidence = 0.6f;
// The centring mean follows faster (250 ms), so the envelope keeps the syllable-rate
// fluctuations the correlation needs and loses the slow level.
constexpr float kMeanSubBlocks = 50.0f;
// A candidate lag must beat the adopted one by this factor, for this many sub-blocks in a row.
constexpr float kSwitchRatio = 1.15f;
constexpr int kSwitchSubBlocks = 20;
// Below this normalised correlation, there is no echo worth aligning to.
constexpr float kMinConfidence = 0.15f;
// The first estimate is taken at once, so it must stand out more: before the echo arrives (a
// 280 ms path), the capture is the line's hiss, whose envelope peaked at 0.15-0.3 on some lag
// by chance; that lag was adopted, and the true one took the switch's persistence and ratio to
// win (measured on the echo bench's -20 dB, 280 ms room: delay right at 0.88 s instead of
// 0.4 s, convergence 1.3 s instead of 0.5 s; 0.5 delayed the true first estimate there).
constexpr float kFirstMinConfidence = 0.3f;
// Pre-emphasis 1 - 0.9 z^-1: the envelope follows the band above ~1 kHz.
constexpr float kPreEmphasis = 0.9f;
// Log-energy floor per sample, int16 units² (about -70 dBFS, a quiet line's hiss): digital
// silence would otherwise sit tens of nepers below any sound, and those few jumps would dominate
// the envelope's variance for seconds.
constexpr float kEnergyFloor = 100.0f;

// One update of both covariance sets over a run of lags whose reference envelopes are
// contiguous: a function of its own so that the loop vectorises (with the ring's wrap chosen per
// lag inside it, it stayed scalar). Cloned for AVX2's wider vectors, with no fused multiply-adds:
// it was only ever compiled for the baseline, and fused, the covariances would move in their
// last bits.
PARLEY_VECTOR_CLONES __attribute__((optimize("fp-contract=off")))
void UpdateCovariances(float capture, const float* __restrict reference, float keep, float forget, float fast_keep,
                       float fast_forget, float* __restrict covariance, float* __restrict fast_covariance,
                       size_t lags) {
  for (size_t lag = 0; lag < lags; ++lag) {
    const float product = capture * reference[lag];
    covariance[lag] = keep * covariance[lag] + forget * product;
    fast_covariance[lag] = fast_keep * fast_covariance[lag] + fast_forget * product;
  }
}

}  // namespace

EchoDelayEstimator::EchoDelayEstimator(size_t sub_block_samples, size_t max_lag_sub_blocks)
    : sub_block_samples_(sub_block_samples),
      lags_(max_lag_sub_blocks + 1),
      reference_history_(lags_, 0.0f),
      covariance_(lags_, 0.0f),
      fast_covariance_(lags_, 0.0f),
      emphasised_(sub_block_samples_, 0.0f) {}

// Cloned with no fused multiply-adds, as UpdateCovariances.
PARLEY_VECTOR_CLONES __attribute__((optimize("fp-contract=off")))
float EchoDelayEstimator::Envelope(const float* samples, float& emphasis_state) {
  // The filter vectorises; the energy, a sum in lanes (lane_sum.h), is a loop of its own.
  float* __restrict emphasised = emphasised_.data();
  emphasised[0] = samples[0] - kPreEmphasis * emphasis_state;
  for (size_t i = 1; i < sub_block_samples_; ++i) emphasised[i] = samples[i] - kPreEmphasis * samples[i - 1];
  emphasis_state = samples[sub_block_samples_ - 1];
  const float energy = LaneSum(sub_block_samples_, [&](size_t i) { return emphasised[i] * emphasised[i]; });
  return std::log(energy / static_cast<float>(sub_block_samples_) + kEnergyFloor);
}

void EchoDelayEstimator::Update(const float* reference, const float* capture) {
  const float reference_log = Envelope(reference, reference_emphasis_);
  const float capture_log = Envelope(capture, capture_emphasis_);
  ++updates_;
  // Running averages start as plain means (1/n) so the first second already counts fully.
  const float mean_rate = std::max(1.0f / kMeanSubBlocks, 1.0f / static_cast<float>(updates_));
  reference_mean_ += mean_rate * (reference_log - reference_mean_);
  capture_mean_ += mean_rate * (capture_log - capture_mean_);
  const float reference_centred = reference_log - reference_mean_;
  const float capture_centred = capture_log - capture_mean_;

  head_ = head_ == 0 ? lags_ - 1 : head_ - 1;
  reference_history_[head_] = reference_centred;

  const float forget = std::max(1.0f / kForgetSubBlocks, 1.0f / static_cast<float>(updates_));
  const float keep = 1.0f - forget;
  const float fast_forget = std::max(1.0f / kFastForgetSubBlocks, 1.0f / static_cast<float>(updates_));
  const float fast_keep = 1.0f - fast_forget;
  fast_reference_variance_ = fast_keep * fast_reference_variance_ + fast_forget * reference_centred * reference_centred;
  fast_capture_variance_ = fast_keep * fast_capture_variance_ + fast_forget * capture_centred * capture_centred;
  // The variances (only the normalisation) follow as fast as the means: a start from silence
  // is one huge step in the envelope that would otherwise hold the confidence down for seconds.
  reference_variance_ += mean_rate * (reference_centred * reference_centred - reference_variance_);
  capture_variance_ += mean_rate * (capture_centred * capture_centred - capture_variance_);
  // covariance_[lag] pairs this capture envelope with the reference `lag` sub-blocks older.
  // The ring holds lags 0.. from head_ to its end, the rest from its start.
  const size_t first = lags_ - head_;
  UpdateCovariances(capture_centred, reference_history_.data() + head_, keep, forget, fast_keep, fast_forget,
                    covariance_.data(), fast_covariance_.data(), first);
  UpdateCovariances(capture_centred, reference_history_.data(), keep, forget, fast_keep, fast_forget,
                    covariance_.data() + first, fast_covariance_.data() + first, lags_ - first);
  if (static_cast<size_t>(updates_) < lags_) return;  // the longest lags have seen nothing yet

  const float norm = std::sqrt(reference_variance_ * capture_variance_) + 1e-12f;
  if (FollowStep()) return;
  const size_t best = FirstLargest(covariance_.data(), lags_);
  const float best_confidence = covariance_[best] / norm;
  if (delay_ >= 0) confidence_ = std::max(0.0f, covariance_[static_cast<size_t>(delay_)] / norm);
  const bool better = delay_ < 0 || covariance_[best] > kSwitchRatio * covariance_[static_cast<size_t>(delay_)];
  if (best_confidence < (delay_ < 0 ? kFirstMinConfidence : kMinConfidence) || static_cast<int>(best) == delay_ || !better) {
    candidate_.Drop();
    return;
  }
  // The first estimate is taken at once (the filter has nothing to lose); a change must persist.
  if (candidate_.Persists(static_cast<int>(best), kSwitchSubBlocks) || delay_ < 0) {
    delay_ = candidate_.lag;
    confidence_ = best_confidence;
    candidate_.Drop();
  }
}

void EchoDelayEstimator::Move(int sub_blocks) {
  if (delay_ < 0) return;
  const int lags = static_cast<int>(lags_);
  sub_blocks = std::clamp(delay_ + sub_blocks, 0, lags - 1) - delay_;
  delay_ += sub_blocks;
  // covariance_[lag] takes what covariance_[lag - sub_blocks] saw, copied in the direction that
  // reads every entry before overwriting it: seconds from before the move, mostly.
  const auto move = [&](int lag) {
    const int from = lag - sub_blocks;
    covariance_[static_cast<size_t>(lag)] = from >= 0 && from < lags ? covariance_[static_cast<size_t>(from)] : 0.0f;
  };
  if (sub_blocks > 0) {
    for (int lag = lags - 1; lag >= 0; --lag) move(lag);
  } else {
    for (int lag = 0; lag < lags; ++lag) move(lag);
  }
  // The fast set has already seen part of the moved path at its true lag, which a shift would
  // move too far (measured: the delay stepped on by another 20 ms within 50 ms): it restarts.
  std::fill(fast_covariance_.begin(), fast_covariance_.end(), 0.0f);
  candidate_.Drop();
  fast_candidate_.Drop();
}

bool EchoDelayEstimator::FollowStep() {
  if (delay_ < 0) return false;
  // Normalised over the same 300 ms: the caller talking raises the capture's variance there and
  // the peak's correlation falls below kFastMinConfidence.
  const float norm = std::sqrt(fast_reference_variance_ * fast_capture_variance_) + 1e-12f;
  const size_t from = static_cast<size_t>(std::max(0, delay_ - kMaxStepSubBlocks));
  const size_t to = std::min(lags_, static_cast<size_t>(delay_ + kMaxStepSubBlocks + 1));
  const size_t best = from + FirstLargest(fast_covariance_.data() + from, to - from);
  const float current = fast_covariance_[static_cast<size_t>(delay_)];
  const bool stands_out = fast_covariance_[best] / norm >= kFastMinConfidence && fast_covariance_[best] > kSwitchRatio * current;
  if (!stands_out || static_cast<int>(best) == delay_) {
    fast_candidate_.Drop();
    return false;
  }
  if (!fast_candidate_.Persists(static_cast<int>(best), kFastSwitchSubBlocks)) return false;
  delay_ = fast_candidate_.lag;
  confidence_ = fast_covariance_[best] / norm;
  fast_candidate_.Drop();
  candidate_.Drop();
  // The slow set still peaks at the old delay and would move it back for a second: it restarts
  // from what the fast set has seen.
  covariance_ = fast_covariance_;
  return true;
}

}  // namespace parley

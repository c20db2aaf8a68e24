#include "dsp/residual_echo_suppressor.h"

#include <algorithm>
#include <cmath>

#include "dsp/vector_clones.h"

namespace parley {
namespace {

// Power smoothing per block (10 ms): about 30 ms memory, enough to steady a 10 ms periodogram
// without smearing syllable onsets.
constexpr float kSmoothing = 0.65f;
// The residual estimate is held with this decay per block (about 45 ms to -10 dB), which covers
// the room's reverberant tail beyond the filter and the jitter of the estimate itself.
constexpr float kResidualDecay = 0.8f;
// Over-suppression: the predicted residual counts this many times. Measured on the echo bench's
// -6 dB double-talk path: 2x leaves 29 VAD onsets a minute on echo alone, 4x (with the 0.8 hold)
// 16, while the caller's VAD recall stays 0.95 and their SNR drops by under 1 dB.
constexpr float kOverSuppression = 4.0f;
// Gains may rise at most this fast per block, so a decaying echo does not flutter through.
constexpr float kGainAttack = 0.5f;
// The line's own noise floor (minimum tracking: falls at once, rises by this factor per block,
// about 1 dB/s). Suppression stops at it: an output quieter than the line's hiss would make every
// trace of residual echo stand out to the VAD as an onset.
constexpr float kNoiseRise = 1.0025f;
// That minimum sits below the noise's mean power (Martin 2001's bias); the floor is lifted toward
// the mean. With the tracked minimum itself as the floor, a line's hiss came out about 5 dB
// quieter while the bot spoke, and its return when the bot stopped was a 5 dB step the VAD took
// for speech (measured: a barge-in at the end of the bot's answer on a -10 dB echo path). 4x
// (6 dB) cost the echo bench 1-2 dB of ERLE on every trace; 2x (3 dB) keeps the hiss steady.
constexpr float kNoiseMinimumBias = 2.0f;

// One bin's smoothed error power and the line's noise floor under it (minimum tracking); returns
// the smoothed power.
inline __attribute__((always_inline)) float TrackNoise(float error_power, float& error_smoothed, float& noise) {
  const float error = kSmoothing * error_smoothed + (1.0f - kSmoothing) * error_power;
  error_smoothed = error;
  const float tracked = std::min(error, noise * kNoiseRise);
  noise = noise == 0.0f ? error : tracked;
  return error;
}

// The per-bin loops, as functions of their own so the compiler knows their arrays do not overlap
// (restrict on locals of a member function left them scalar); inlined into each clone of Process.
inline __attribute__((always_inline)) void UpdateGains(const float* __restrict error_power,
                                                       const float* __restrict residual_power, float floor,
                                                       float* __restrict error_smoothed,
                                                       float* __restrict residual_smoothed, float* __restrict noise,
                                                       float* __restrict gain, size_t bins) {
  for (size_t k = 0; k < bins; ++k) {
    // Both sides of each choice are computed, so the loop has no branch and vectorises.
    const float error = TrackNoise(error_power[k], error_smoothed[k], noise[k]);
    const float line_noise = noise[k];
    const float residual = std::max(kResidualDecay * residual_smoothed[k], residual_power[k]);
    residual_smoothed[k] = residual;
    // Wiener-like gain from the error-to-residual ratio, the echo counted kOverSuppression times.
    const float echo = kOverSuppression * residual;
    const float noise_floor = std::min(1.0f, std::sqrt(kNoiseMinimumBias * line_noise / (error + 1e-3f)));
    const float wiener = std::max(0.0f, error - echo) / (error + 1e-3f);
    const float target = std::max(std::max(floor, noise_floor), wiener);
    // Falls at once, rises by kGainAttack of the way (below the target while rising, above it
    // when falling, kGainAttack being under 1): the smaller of the two.
    gain[k] = std::min(target, gain[k] + kGainAttack * (target - gain[k]));
  }
}

// The previous and the current block moved to the FFT frame's first and second block, times the
// gains.
inline __attribute__((always_inline)) void ShiftBlocks(
    const float* __restrict previous_re, const float* __restrict previous_im, const float* __restrict current_re,
    const float* __restrict current_im, const float* __restrict first_re, const float* __restrict first_im,
    const float* __restrict second_re, const float* __restrict second_im, const float* __restrict gain,
    float* __restrict out_re, float* __restrict out_im, size_t bins) {
  for (size_t k = 0; k < bins; ++k) {
    const float re = previous_re[k] * first_re[k] - previous_im[k] * first_im[k] + current_re[k] * second_re[k] -
                     current_im[k] * second_im[k];
    const float im = previous_re[k] * first_im[k] + previous_im[k] * first_re[k] + current_re[k] * second_im[k] +
                     current_im[k] * second_re[k];
    out_re[k] = re * gain[k];
    out_im[k] = im * gain[k];
  }
}

}  // namespace

ResidualEchoSuppressor::ResidualEchoSuppressor(size_t block_samples, size_t fft_size)
    : block_(block_samples),
      bins_(fft_size / 2 + 1),
      fft_(fft_size),
      frame_(fft_size, 0.0f),
      previous_re_(bins_, 0.0f),
      previous_im_(bins_, 0.0f),
      to_first_re_(bins_),
      to_first_im_(bins_),
      to_second_re_(bins_),
      to_second_im_(bins_),
      spectrum_re_(bins_),
      spectrum_im_(bins_),
      error_smoothed_(bins_, 0.0f),
      residual_smoothed_(bins_, 0.0f),
      noise_(bins_, 0.0f),
      gain_(bins_, 1.0f) {
  // A block at [N - b, N) moved to [0, b) is a circular shift by N - b: X(k)·e^{+2πik(N-b)/N};
  // moved to [b, 2b), a shift by N - 2b.
  const double n = static_cast<double>(fft_size);
  for (size_t k = 0; k < bins_; ++k) {
    const double turn = 2.0 * 3.14159265358979323846 * static_cast<double>(k) / n;
    const double first = turn * (n - static_cast<double>(block_));
    const double second = turn * (n - 2.0 * static_cast<double>(block_));
    to_first_re_[k] = static_cast<float>(std::cos(first));
    to_first_im_[k] = static_cast<float>(std::sin(first));
    to_second_re_[k] = static_cast<float>(std::cos(second));
    to_second_im_[k] = static_cast<float>(std::sin(second));
  }
}

void ResidualEchoSuppressor::set_floor_db(float floor_db) {
  enabled_ = floor_db < 0.0f;
  floor_ = std::pow(10.0f, std::min(floor_db, 0.0f) / 20.0f);
}

PARLEY_VECTOR_CLONES
void ResidualEchoSuppressor::Process(const float* error_re, const float* error_im, const float* error_power,
                                     const float* residual_power, float* output) {
  // Off: unit gains (a floor of 1 lifts every target to it).
  UpdateGains(error_power, residual_power, enabled_ ? floor_ : 1.0f, error_smoothed_.data(), residual_smoothed_.data(),
              noise_.data(), gain_.data(), bins_);
  // Overlap-save: the gains filter the last two blocks and the newest block of the result is
  // kept, so the output has no delay (a windowed overlap-add would hold it one block back, which
  // the caller's speech onsets, and with them barge-in, would pay for). The gains are smooth, so
  // their zero-phase response is short: what it spills past the FFT's end falls into the zero
  // padding or the discarded older block, except a little of the newest block's last samples.
  ShiftBlocks(previous_re_.data(), previous_im_.data(), error_re, error_im, to_first_re_.data(), to_first_im_.data(),
              to_second_re_.data(), to_second_im_.data(), gain_.data(), spectrum_re_.data(), spectrum_im_.data(), bins_);
  std::copy_n(error_re, bins_, previous_re_.begin());
  std::copy_n(error_im, bins_, previous_im_.begin());
  fft_.Inverse(spectrum_re_.data(), spectrum_im_.data(), frame_.data());
  std::copy_n(frame_.data() + block_, block_, output);
}

void ResidualEchoSuppressor::PassThrough(const float* error, const float* error_power, float* output) {
  // The noise floor follows the blocks passed too. The first blocks of a call are passed (the
  // filter has not yet made the capture quieter), and until the echo arrives they are the line's
  // hiss: a floor seeded from the first block suppressed instead, the bot's unlearnt echo, sat
  // tens of dB above the hiss and held the gains up until the bot's first pause let the minimum
  // fall (measured on the echo bench: convergence 1.3-1.5 s on six traces, made of a filter
  // that removed 15-20 dB by 0.8 s and a suppressor stopped at its echo-high floor).
  for (size_t k = 0; k < bins_; ++k) TrackNoise(error_power[k], error_smoothed_[k], noise_[k]);
  PassThrough(error, output);
}

void ResidualEchoSuppressor::PassThrough(const float* error, float* output) {
  // The next Process then filters this block as silence: only the short spill of its gains
  // from this block into the next is lost.
  std::fill(previous_re_.begin(), previous_re_.end(), 0.0f);
  std::fill(previous_im_.begin(), previous_im_.end(), 0.0f);
  std::copy(error, error + block_, output);
  std::fill(gain_.begin(), gain_.end(), 1.0f);
  std::fill(residual_smoothed_.begin(), residual_smoothed_.end(), 0.0f);
}

}  // namespace parley

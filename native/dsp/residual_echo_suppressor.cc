#include "dsp/residual_echo_suppressor.h"

#include <algorithm>
#include <cmath>

#include "dsp/lane_sum.h"
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
// Gains may rise at most this fast per block, so a decaying echo does not flutter through (at
// once on a caller's onset: kOnsetOverResidual).
constexpr float kGainAttack = 0.5f;
// The line's own noise floor (minimum tracking: falls at once, rises by this factor per block,
// about 1 dB/s). Suppression stops at it: an output quieter than the line's hiss would make every
// trace of residual echo stand out to the VAD as an onset.
constexpr float kNoiseRise = 1.0025f;
// That minimum sits below the noise's mean power (Martin 2001's bias); the floor is lifted toward
// the mean. With the tracked minimum itself as the floor, a line's hiss came out about 5 dB
// quieter while the bot spoke, and its return when the bot stopped was a 5 dB step the VAD took
// for speech (measured: a barge-in at the end of the bot's answer on a -10 dB echo path). 4x
// (6 dB) cost the echo bench 1-2 dB of ERLE on every trace; 2x (3 dB) kept the hiss steady, but
// still 2-3 dB under the line's: the output's floor rose by that much in the bot's pauses, which
// the VAD took for an onset now and then (the 16 kHz room trace); 2.5x (4 dB) does not, for
// 0.2-0.4 dB of ERLE.
constexpr float kNoiseMinimumBias = 2.5f;

// The echo's share of the capture, broadband: the error's power over the capture's, summed over
// the band and smoothed (kShareSmoothing per block, about 30 ms on top of kSmoothing). Under
// kShareLow the block is the echo's, whatever each bin's own prediction says, and every bin is
// held at the line's noise; over kShareHigh (the caller's speech keeps the error near the
// capture) the bins' own gains decide, with a linear ramp between. This is what takes a
// loudspeaker's distortion: its harmonics land in bins where the linear echo estimate, and with
// it the predicted residual, is small, so they passed at full level (measured on the echo bench's
// -6 dB nonlinear G.711 trace: output 10-25 dB over the line's hiss in the loud syllables, 69.6
// VAD onsets a minute on echo alone; with this and the failed blocks taken from the capture
// (SuppressCapture) 33.6, with the comfort noise below too 19.2; the caller's double-talk VAD
// recall 0.934 -> 0.917 and 0.971 -> 0.949). A lower kShareHigh (0.06) spared the caller a
// little and lost most of the gain; the share smoothed longer (0.85) steadied the sliding-delay
// trace a little and lost some on the nonlinear one.
constexpr float kShareLow = 0.03f;
constexpr float kShareHigh = 0.15f;
constexpr float kShareSmoothing = 0.7f;
// The capture must rise this far over the line's noise (summed over the band: 3 dB over it at
// 2) for the share to follow it. Measured on the echo bench, VAD onsets a minute on echo alone
// on the sliding-delay / nonlinear traces: 0.5: 19.2 / 12; 1: 14.4 / 9.6; 2: 14.4 / 7.2; 4 and 8
// no fewer.
constexpr float kShareSignal = 2.0f;
// The caller's onset over the echo, decided from this block alone: smoothed twice, the share
// took 2-4 blocks to rise over kShareHigh after the caller started, and the broadband rule held
// their first 20-40 ms at the line's noise. A block whose error (over the line's noise) is
// kOnsetOverResidual times the predicted residual and whose capture is kOnsetOverEcho times the
// echo estimate holds something the echo does not (on echo alone the error is the residual and
// the capture the echo estimate): the share jumps to at least kShareHigh and the gains rise at
// once. A delay step's error also passes the first test; the step gate (Process's
// `path_unsure`) holds it off. Measured: barge-in over echo at -6 / -10 dB, 40 / 200 ms: 200 / 200 / 200 / 180 ->
// 180 / 160 / 160 / 160 ms; on the echo bench's double-talk traces the caller's VAD recall
// 0.917 -> 0.929 and 0.949 -> 0.971, and VAD onsets on echo alone after 5 s rose on no trace.
constexpr float kOnsetOverResidual = 5.0f;
constexpr float kOnsetOverEcho = 1.15f;
// Comfort noise tops each bin up to the line's noise floor where the gains (or the error itself)
// left it below: a floor that dips under the line's hiss in the loud syllables and comes back
// after is what the VAD takes for onsets (measured on the nonlinear trace: 33.6 -> 19.2 a minute;
// the linear traces' ERLE, which counts the comfort noise as residual, lost 0.5-0.7 dB). It stays
// this far (-30 dB) under the capture: on a line with no noise of its own the "floor" is the
// converging filter's residual, and topping it up held the ERLE back (0.75-1 s on white noise in
// test/unit/native/echo-canceller.test.ts: under its 15 dB).
constexpr float kComfortUnderCapture = 0.001f;
// Comfort noise: E|u|² of a uniform variable on [-1, 1), per part (real, imaginary).
constexpr float kUniformPower = 1.0f / 3.0f;
// A counter scrambled into noise (MurmurHash3's finaliser): each bin's comfort noise is drawn
// from its own index, so the per-bin loop has no serial generator and vectorises. (Per-bin linear
// congruential generators seeded in a row stay a row: their draws across bins were a chirp.)
inline __attribute__((always_inline)) uint32_t Scramble(uint32_t x) {
  x ^= x >> 16;
  x *= 0x85ebca6bu;
  x ^= x >> 13;
  x *= 0xc2b2ae35u;
  x ^= x >> 16;
  return x;
}

// One bin's smoothed error power and the line's noise floor under it (minimum tracking); returns
// the smoothed power.
inline __attribute__((always_inline)) float TrackNoise(float error_power, float& error_smoothed, float& noise) {
  const float error = kSmoothing * error_smoothed + (1.0f - kSmoothing) * error_power;
  error_smoothed = error;
  const float tracked = std::min(error, noise * kNoiseRise);
  noise = noise == 0.0f ? error : tracked;
  return error;
}

// PassThrough's: the noise floor followed over a block passed as it came. A function of its own
// for the restrict (see below), and cloned for AVX2's wider vectors but with no fused
// multiply-adds: it was only ever compiled for the baseline, scalar, and fused, the floor (and the
// output after it) would move in its last bits. Vectorised, each bin takes the same floats.
PARLEY_VECTOR_CLONES __attribute__((optimize("fp-contract=off")))
void TrackNoiseFloor(const float* __restrict error_power, float* __restrict error_smoothed, float* __restrict noise,
                     size_t bins) {
  for (size_t k = 0; k < bins; ++k) TrackNoise(error_power[k], error_smoothed[k], noise[k]);
}

// The per-bin loops, as functions of their own so the compiler knows their arrays do not overlap
// (restrict on locals of a member function left them scalar); inlined into each clone of Process.
// Inlined, their restrict is lost all the same where a loop reads and writes many arrays: GCC then
// checks each pair at run time, gives up past ten pairs (UpdateGains has twelve) and leaves the
// loop scalar; `#pragma GCC ivdep` says what restrict said (measured: the suppressor's instruction
// count per block fell by half, output bit-exact).
inline __attribute__((always_inline)) void UpdateGains(const float* __restrict error_re,
                                                       const float* __restrict error_im,
                                                       const float* __restrict echo_re,
                                                       const float* __restrict echo_im,
                                                       const float* __restrict error_power,
                                                       const float* __restrict residual_power, float floor,
                                                       float broadband, float gain_attack, float comfort_cap,
                                                       float frame_over_block,
                                                       float* __restrict capture_smoothed,
                                                       float* __restrict error_smoothed,
                                                       float* __restrict residual_smoothed, float* __restrict noise,
                                                       float* __restrict gain,
                                                       float* __restrict fill, size_t bins) {
#pragma GCC ivdep
  for (size_t k = 0; k < bins; ++k) {
    // Both sides of each choice are computed, so the loop has no branch and vectorises.
    const float error = TrackNoise(error_power[k], error_smoothed[k], noise[k]);
    const float line_noise = kNoiseMinimumBias * noise[k];
    const float residual = std::max(kResidualDecay * residual_smoothed[k], residual_power[k]);
    residual_smoothed[k] = residual;
    // Wiener-like gain from the error-to-residual ratio, the echo counted kOverSuppression times.
    const float echo = kOverSuppression * residual;
    // The floor holds this block's own power to the line's noise, not only the smoothed one: at a
    // loud syllable's onset the smoothed power lags the block's by several dB, and a gain set
    // from it let the block out that much over the floor (measured on the echo bench's G.711
    // traces: VAD onsets on echo alone on the -10 dB hybrid 2.4 -> 0 a minute, double-talk room
    // 6 -> 0, nonlinear 7.2 -> 2.4).
    const float block_error = std::max(error, error_power[k]);
    const float noise_floor = std::min(1.0f, std::sqrt(line_noise / (block_error + 1e-3f)));
    const float wiener = std::max(0.0f, error - echo) / (error + 1e-3f);
    // The capture is the error plus the echo estimate, spectra and all.
    const float capture_re = error_re[k] + echo_re[k];
    const float capture_im = error_im[k] + echo_im[k];
    const float capture = kSmoothing * capture_smoothed[k] +
                          (1.0f - kSmoothing) * (capture_re * capture_re + capture_im * capture_im);
    capture_smoothed[k] = capture;
    const float target = std::max(std::max(floor, noise_floor), std::min(wiener, broadband));
    // Falls at once, rises by gain_attack of the way (below the target while rising, above it
    // when falling, gain_attack being at most 1): the smaller of the two.
    const float g = std::min(target, gain[k] + gain_attack * (target - gain[k]));
    gain[k] = g;
    // Comfort noise to the floor. A block's periodogram holds its samples' power times the block
    // length; the noise fills the whole FFT frame, frame_over_block times more.
    fill[k] = frame_over_block * std::min(comfort_cap * capture, std::max(0.0f, line_noise - g * g * block_error));
  }
}

// The previous and the current block moved to the FFT frame's first and second block, times the
// gains.
inline __attribute__((always_inline)) void ShiftBlocks(
    const float* __restrict previous_re, const float* __restrict previous_im, const float* __restrict current_re,
    const float* __restrict current_im, const float* __restrict first_re, const float* __restrict first_im,
    const float* __restrict second_re, const float* __restrict second_im, const float* __restrict gain,
    const float* __restrict fill, uint32_t noise_seed, float* __restrict out_re, float* __restrict out_im,
    size_t bins) {
  for (size_t k = 0; k < bins; ++k) {
    const float re = previous_re[k] * first_re[k] - previous_im[k] * first_im[k] + current_re[k] * second_re[k] -
                     current_im[k] * second_im[k];
    const float im = previous_re[k] * first_im[k] + previous_im[k] * first_re[k] + current_re[k] * second_im[k] +
                     current_im[k] * second_re[k];
    const uint32_t index = noise_seed + 2u * static_cast<uint32_t>(k);
    const float amplitude = std::sqrt(fill[k] / (2.0f * kUniformPower)) / 2147483648.0f;
    out_re[k] = re * gain[k] + amplitude * static_cast<float>(static_cast<int32_t>(Scramble(index)));
    out_im[k] = im * gain[k] + amplitude * static_cast<float>(static_cast<int32_t>(Scramble(index + 1u)));
  }
}

}  // namespace

ResidualEchoSuppressor::ResidualEchoSuppressor(size_t block_samples, size_t fft_size)
    : block_(block_samples),
      frame_over_block_(static_cast<float>(fft_size) / static_cast<float>(block_samples)),
      bins_(fft_size / 2 + 1),
      fft_(fft_size),
      previous_re_(bins_, 0.0f),
      previous_im_(bins_, 0.0f),
      to_first_re_(bins_),
      to_first_im_(bins_),
      to_second_re_(bins_),
      to_second_im_(bins_),
      capture_re_(bins_),
      capture_im_(bins_),
      spectrum_re_(bins_),
      spectrum_im_(bins_),
      error_smoothed_(bins_, 0.0f),
      residual_smoothed_(bins_, 0.0f),
      capture_smoothed_(bins_, 0.0f),
      noise_(bins_, 0.0f),
      gain_(bins_, 1.0f),
      fill_(bins_, 0.0f) {
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
void ResidualEchoSuppressor::Process(const float* error_re, const float* error_im, const float* echo_re,
                                     const float* echo_im, const float* error_power, const float* residual_power,
                                     bool path_unsure, float* output) {
  // The echo's share of the capture, from the previous block's smoothed powers: of what each
  // rises over the line's noise, and only while the capture does (kShareSignal). In the bot's
  // pauses both are the line's hiss and their ratio is 1, which said "the caller" when the echo
  // came back: the first blocks of each of the bot's words passed at the echo's level (measured
  // on the echo bench: most VAD onsets on echo alone on the sliding-delay and jitter-step traces
  // after a pause). Held instead, it is the share of the echo's last syllable.
  // Over the bins, that share and this block's own powers (kOnsetOverResidual): error and capture
  // over the line's noise. Sums in lanes (lane_sum.h), a pass each.
  const float* smoothed_error = error_smoothed_.data();
  const float* smoothed_capture = capture_smoothed_.data();
  const float* noise = noise_.data();
  const auto line_noise = [&](size_t k) { return kNoiseMinimumBias * noise[k]; };
  const auto capture_power = [&](size_t k) {
    const float capture_re = error_re[k] + echo_re[k];
    const float capture_im = error_im[k] + echo_im[k];
    return capture_re * capture_re + capture_im * capture_im;
  };
  const float error_sum = LaneSum(bins_, [&](size_t k) { return std::max(0.0f, smoothed_error[k] - line_noise(k)); });
  const float capture_sum = LaneSum(bins_, [&](size_t k) { return std::max(0.0f, smoothed_capture[k] - line_noise(k)); });
  const float noise_sum = LaneSum(bins_, line_noise);
  const float block_error = LaneSum(bins_, [&](size_t k) { return std::max(0.0f, error_power[k] - line_noise(k)); });
  const float block_capture = LaneSum(bins_, [&](size_t k) { return std::max(0.0f, capture_power(k) - line_noise(k)); });
  const float block_residual = LaneSum(bins_, [&](size_t k) { return residual_power[k]; });
  const float block_echo = LaneSum(bins_, [&](size_t k) { return echo_re[k] * echo_re[k] + echo_im[k] * echo_im[k]; });
  if (capture_sum > kShareSignal * noise_sum) {
    echo_share_ = kShareSmoothing * echo_share_ + (1.0f - kShareSmoothing) * error_sum / (capture_sum + 1e-3f);
  }
  const bool caller_onset = !path_unsure && block_capture > kShareSignal * noise_sum &&
                            block_error > kOnsetOverResidual * block_residual &&
                            block_capture > kOnsetOverEcho * block_echo;
  if (caller_onset) echo_share_ = std::max(echo_share_, std::max(kShareHigh, block_error / block_capture));
  broadband_ = std::clamp((echo_share_ - kShareLow) / (kShareHigh - kShareLow), 0.0f, 1.0f);
  // Off: unit gains (a floor of 1 lifts every target to it) and no comfort noise.
  UpdateGains(error_re, error_im, echo_re, echo_im, error_power, residual_power, enabled_ ? floor_ : 1.0f, broadband_,
              caller_onset ? 1.0f : kGainAttack, enabled_ ? kComfortUnderCapture : 0.0f, frame_over_block_,
              capture_smoothed_.data(), error_smoothed_.data(), residual_smoothed_.data(), noise_.data(), gain_.data(),
              fill_.data(), bins_);
  // Overlap-save: the gains filter the last two blocks and the newest block of the result is
  // kept, so the output has no delay (a windowed overlap-add would hold it one block back, which
  // the caller's speech onsets, and with them barge-in, would pay for). The gains are smooth, so
  // their zero-phase response is short: what it spills past the FFT's end falls into the zero
  // padding or the discarded older block, except a little of the newest block's last samples.
  ShiftBlocks(previous_re_.data(), previous_im_.data(), error_re, error_im, to_first_re_.data(), to_first_im_.data(),
              to_second_re_.data(), to_second_im_.data(), gain_.data(), fill_.data(), noise_seed_, spectrum_re_.data(),
              spectrum_im_.data(), bins_);
  noise_seed_ += 2u * static_cast<uint32_t>(bins_);
  std::copy_n(error_re, bins_, previous_re_.begin());
  std::copy_n(error_im, bins_, previous_im_.begin());
  fft_.Inverse(spectrum_re_.data(), spectrum_im_.data(), block_, 2 * block_, output);
}

PARLEY_VECTOR_CLONES
void ResidualEchoSuppressor::SuppressCapture(const float* error_re, const float* error_im, const float* echo_re,
                                             const float* echo_im, float* output) {
  // Off: unit gains (floor_gain is at most 1). Chosen once, not per bin: a branch in the loop
  // kept it scalar.
  const float least_gain = enabled_ ? broadband_ : 1.0f;
  // The arrays are this suppressor's own and the canceller's: none overlaps (see UpdateGains).
#pragma GCC ivdep
  for (size_t k = 0; k < bins_; ++k) {
    const float re = error_re[k] + echo_re[k];
    const float im = error_im[k] + echo_im[k];
    capture_re_[k] = re;
    capture_im_[k] = im;
    const float power = re * re + im * im;
    TrackNoise(power, error_smoothed_[k], noise_[k]);
    capture_smoothed_[k] = kSmoothing * capture_smoothed_[k] + (1.0f - kSmoothing) * power;
    // Each bin to the line's noise floor by its own power, not its smoothed one (the block is
    // brought down whatever its neighbours held), unless the blocks before said the caller is
    // talking (broadband_ near 1): a failed block in double talk passes as it came, as before
    // (suppressed too, it cost the caller's VAD recall 0.946 -> 0.929 on the -10 dB hybrid).
    const float floor_gain = std::min(1.0f, std::sqrt(kNoiseMinimumBias * noise_[k] / (power + 1e-3f)));
    gain_[k] = std::max(least_gain, floor_gain);
    fill_[k] = 0.0f;
  }
  // This block alone is filtered: the previous block's error (the filter's junk, louder than
  // this capture at a syllable's tail) is not taken as this block's past. Its gains, set by this
  // capture's own periodogram, swing from bin to bin; their long response spread that error into
  // the kept block at full level (measured on the echo bench's -6 dB nonlinear G.711 trace: these
  // blocks came out 10 dB over the line's hiss; VAD onsets on echo alone 19.2 -> 12 a minute, and 6
  // -> 0 on the -10 dB hybrid double-talk trace).
  std::fill(previous_re_.begin(), previous_re_.end(), 0.0f);
  std::fill(previous_im_.begin(), previous_im_.end(), 0.0f);
  ShiftBlocks(previous_re_.data(), previous_im_.data(), capture_re_.data(), capture_im_.data(), to_first_re_.data(),
              to_first_im_.data(), to_second_re_.data(), to_second_im_.data(), gain_.data(), fill_.data(), noise_seed_,
              spectrum_re_.data(), spectrum_im_.data(), bins_);
  fft_.Inverse(spectrum_re_.data(), spectrum_im_.data(), block_, 2 * block_, output);
  // The next block's gains are the error's, not the capture's: filtered by them, this block's
  // echo would spill into the next output. It is taken as silence (previous_ stays cleared), as
  // after PassThrough.
}

void ResidualEchoSuppressor::PassThrough(const float* error, const float* error_power, float* output) {
  // The noise floor follows the blocks passed too. The first blocks of a call are passed (the
  // filter has not yet made the capture quieter), and until the echo arrives they are the line's
  // hiss: a floor seeded from the first block suppressed instead, the bot's unlearnt echo, sat
  // tens of dB above the hiss and held the gains up until the bot's first pause let the minimum
  // fall (measured on the echo bench: convergence 1.3-1.5 s on six traces, made of a filter
  // that removed 15-20 dB by 0.8 s and a suppressor stopped at its echo-high floor).
  TrackNoiseFloor(error_power, error_smoothed_.data(), noise_.data(), bins_);
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

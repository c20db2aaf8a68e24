#include "dsp/vad.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "dsp/shared_table.h"

namespace parley {
namespace {

constexpr float kPi = 3.14159265f;
// Mean per-bin log-likelihood ratio a frame needs, per aggressiveness (tuned on bench/vad).
constexpr float kThreshold[] = {0.03f, 0.06f, 0.1f, 0.15f};
constexpr float kLowHz = 200.0f;
constexpr float kHighHz = 3800.0f;
// Decision-directed a-priori SNR (Ephraim & Malah 1984): weight of the previous frame's estimate.
constexpr float kDecisionDirected = 0.96f;
constexpr float kMinPrioriSnr = 0.003f;  // -25 dB
// Noise follows non-speech frames with this weight on its old value (~200 ms at 20 ms frames).
constexpr float kNoiseSmoothing = 0.9f;
constexpr float kMinStatSmoothing = 0.9f;
constexpr int kMinStatSubWindowMs = 1000;
// The minimum of a smoothed periodogram sits below its mean; this scales it back (Martin 2001).
// Deliberately above the ~1.5 that stationary noise needs: babble's minima sit further below its
// mean, and the larger factor raised babble precision from 0.62 to 0.70 at 10 dB SNR for a loss
// of about 0.01 recall on white and pink noise (bench/vad).
constexpr float kMinStatBias = 2.5f;
// Power per bin below which a bin is digital silence (about -90 dBFS).
constexpr float kPowerFloor = 1e-9f;
constexpr int kInitialFrames = 5;
// The quietest noise a telephone line can carry: G.711's finest quantisation step is 16 (of
// 32768), whose noise is step^2 / 12 per sample, times the Hann window's mean square (3/8) per
// bin, about -77 dBFS. Digital silence (zeros before the first packet, or in a gap) would
// otherwise teach the noise estimate a line quieter than any codec delivers, and the smallest step
// after it (A-law's idle byte 0xD5 decodes to +8) would pass for speech.
constexpr float kG711StepFullScale = 16.0f / 32768.0f;
constexpr float kNoiseFloor = kG711StepFullScale * kG711StepFullScale / 12.0f * 0.375f;

// ln(x) for a finite x >= 1 to within about 1e-6, from the exponent and an odd series in
// t = (m - 1) / (m + 1) of the mantissa m in [1, 2) (t < 1/3). It replaces a libm log1pf call
// per bin (a few per cent of a PCMU call's CPU under load); the mean log-likelihood ratio it
// feeds is compared against thresholds of 0.03 and more.
__attribute__((optimize("no-trapping-math"))) inline float LogAtLeastOne(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof(bits));
  const float exponent = static_cast<float>(static_cast<int>(bits >> 23) - 127);
  bits = (bits & 0x007fffffu) | 0x3f800000u;
  float mantissa;
  std::memcpy(&mantissa, &bits, sizeof(mantissa));
  const float t = (mantissa - 1.0f) / (mantissa + 1.0f);
  const float t2 = t * t;
  const float series = t * (2.0f + t2 * (2.0f / 3.0f + t2 * (2.0f / 5.0f + t2 * (2.0f / 7.0f + t2 * (2.0f / 9.0f)))));
  return exponent * 0.693147181f + series;
}

// Per bin: the log-likelihood ratio of speech (into llr) and the decision-directed speech power
// for the next frame (into clean, which holds this frame's). The divisions were most of the VAD's
// cost; vectorised they are a quarter of it. GCC keeps a loop scalar when it would have to compute
// an operation of a conditional operand on both sides of the condition, as a trapping float
// operation might raise an exception the source did not (-ftrapping-math); no-trapping-math
// lets it, and changes no value (no reassociation, no contraction). LogAtLeastOne carries the
// same option, or it would not be inlined here (nor std::max, written out below).
__attribute__((optimize("no-trapping-math"))) void LikelihoodRatios(const float* __restrict power,
                                                                     const float* __restrict noise, size_t bins,
                                                                     float* __restrict clean, float* __restrict llr) {
  for (size_t k = 0; k < bins; ++k) {
    const float posteriori = power[k] / noise[k];
    const float excess = posteriori - 1.0f < 0.0f ? 0.0f : posteriori - 1.0f;
    const float directed = kDecisionDirected * clean[k] / noise[k] + (1.0f - kDecisionDirected) * excess;
    const float priori = kMinPrioriSnr < directed ? directed : kMinPrioriSnr;
    const float gain = priori / (1.0f + priori);
    llr[k] = posteriori * gain - LogAtLeastOne(1.0f + priori);
    clean[k] = gain * gain * power[k];
  }
}

size_t FftSizeFor(size_t frame_samples) {
  size_t size = 4;
  while (size < frame_samples) size *= 2;
  return size;
}

}  // namespace

Vad::Vad(int sample_rate_hz, size_t frame_samples, int aggressiveness, int hangover_ms)
    : frame_samples_(frame_samples),
      threshold_(kThreshold[std::clamp(aggressiveness, 0, 3)]),
      hangover_samples_(sample_rate_hz / 1000 * hangover_ms),
      fft_(FftSizeFor(frame_samples)),
      window_(SharedTable<Vad, std::vector<float>>(frame_samples, &HannWindow)),
      frame_(fft_.size()),
      spectrum_(fft_.size() / 2 + 1) {
  const float bin_hz = static_cast<float>(sample_rate_hz) / static_cast<float>(fft_.size());
  first_bin_ = static_cast<size_t>(std::ceil(kLowHz / bin_hz));
  const size_t last_bin = static_cast<size_t>(std::min(kHighHz, 0.48f * static_cast<float>(sample_rate_hz)) / bin_hz);
  bin_count_ = last_bin >= first_bin_ ? last_bin - first_bin_ + 1 : 1;
  for (auto* v : {&power_, &llr_, &noise_, &clean_, &smoothed_, &min_current_, &min_previous_}) v->assign(bin_count_, 0.0f);
  const int frame_ms = std::max(1, static_cast<int>(frame_samples * 1000 / static_cast<size_t>(sample_rate_hz)));
  window_frames_ = kMinStatSubWindowMs / frame_ms;
}

std::vector<float> Vad::HannWindow(const size_t& samples) {
  std::vector<float> window(samples);
  for (size_t i = 0; i < samples; ++i) {
    window[i] = 0.5f - 0.5f * std::cos(2.0f * kPi * (static_cast<float>(i) + 0.5f) / static_cast<float>(samples));
  }
  return window;
}

bool Vad::Process(const int16_t* frame, size_t samples) {
  samples = std::min(samples, frame_samples_);
  for (size_t i = 0; i < samples; ++i) frame_[i] = static_cast<float>(frame[i]) / 32768.0f * window_[i];
  std::fill(frame_.begin() + static_cast<std::ptrdiff_t>(samples), frame_.end(), 0.0f);
  fft_.Forward(frame_.data(), spectrum_.data());
  const float scale = 1.0f / static_cast<float>(frame_samples_);
  for (size_t k = 0; k < bin_count_; ++k) power_[k] = std::norm(spectrum_[first_bin_ + k]) * scale + kPowerFloor;

  ++frames_;
  if (frames_ <= kInitialFrames) {
    // The first frames seed the noise estimate; a call that opens with speech is corrected by
    // the recursive average as soon as a quieter frame arrives (its ratios go negative).
    for (size_t k = 0; k < bin_count_; ++k) {
      noise_[k] += (power_[k] - noise_[k]) / static_cast<float>(frames_);
      noise_[k] = std::max(noise_[k], kNoiseFloor);
      smoothed_[k] = min_current_[k] = min_previous_[k] = noise_[k];
    }
    last_raw_ = false;
    last_snr_db_ = 0.0f;
    return false;
  }

  // The per-bin ratios first (a loop that vectorises), then summed in a loop of their own: the
  // same floats added in the same order.
  LikelihoodRatios(power_.data(), noise_.data(), bin_count_, clean_.data(), llr_.data());
  float llr_sum = 0.0f;
  double frame_power = 0.0;
  double noise_power = 0.0;
  for (size_t k = 0; k < bin_count_; ++k) {
    llr_sum += llr_[k];
    frame_power += power_[k];
    noise_power += noise_[k];
  }
  last_raw_ = llr_sum / static_cast<float>(bin_count_) > threshold_;
  last_snr_db_ = static_cast<float>(10.0 * std::log10(frame_power / noise_power));
  UpdateNoise(last_raw_);

  if (last_raw_) {
    hangover_left_ = hangover_samples_;
    return true;
  }
  if (hangover_left_ > 0) {
    hangover_left_ -= static_cast<int>(samples);
    return true;
  }
  return false;
}

void Vad::UpdateNoise(bool speech) {
  const bool new_window = ++frames_in_window_ >= window_frames_;
  if (new_window) frames_in_window_ = 0;
  for (size_t k = 0; k < bin_count_; ++k) {
    if (!speech) noise_[k] = kNoiseSmoothing * noise_[k] + (1.0f - kNoiseSmoothing) * power_[k];
    smoothed_[k] = kMinStatSmoothing * smoothed_[k] + (1.0f - kMinStatSmoothing) * power_[k];
    min_current_[k] = std::min(min_current_[k], smoothed_[k]);
    const float floor = kMinStatBias * std::min(min_current_[k], min_previous_[k]);
    if (floor > noise_[k]) noise_[k] = floor;
    noise_[k] = std::max(noise_[k], kNoiseFloor);
    if (new_window) {
      min_previous_[k] = min_current_[k];
      min_current_[k] = smoothed_[k];
    }
  }
}

}  // namespace parley

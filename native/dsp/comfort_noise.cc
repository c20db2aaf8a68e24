#include "dsp/comfort_noise.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "dsp/lpc.h"

namespace parley {
namespace {
// dBov: relative to the overload point of the 16-bit scale (RFC 3389 section 3.1).
constexpr float kOverloadRms = 32767.0f;
// Uniform noise in [-1, 1) has variance 1/3.
const float kUniformToUnitVariance = std::sqrt(3.0f);
// RFC 3389 section 3.1: the level byte's 7 bits, 0 to -127 dBov.
constexpr uint8_t kMaxLevel = 127;
// The envelope of speech: formants below 4 kHz need 8-10 poles (as the G.711 concealment uses).
constexpr size_t kAudioOrder = 10;

// Uniform in [-1, 1), from Numerical Recipes' LCG: noise, not cryptography. A free function, not a
// member: in the addon's position-independent code a member may be interposed, so it was called,
// not inlined, for every sample.
float NextWhite(uint32_t& state) {
  state = state * 1664525u + 1013904223u;
  return static_cast<float>(static_cast<int32_t>(state)) / 2147483648.0f;
}
}  // namespace

bool ComfortNoise::SetFromPayload(const uint8_t* payload, size_t length) {
  if (length == 0 || (payload[0] & 0x80) != 0) return false;
  const size_t order = std::min(length - 1, kMaxOrder);  // RFC 3389 section 3.2: extra coefficients may be ignored
  // Reflection coefficients to direct form (the step-up recursion), and the gain that makes the
  // all-pole filter's output variance the level's: 1 / prod(1 - k^2).
  float a[kMaxOrder] = {0};
  float previous[kMaxOrder] = {0};
  float residual = 1.0f;
  for (size_t m = 0; m < order; ++m) {
    // Quantisation as in FFmpeg's and WebRTC's decoders: k = (q - 127) / 128, |k| < 1.
    const float k = (static_cast<float>(payload[1 + m]) - 127.0f) / 128.0f;
    std::memcpy(previous, a, sizeof(a));
    a[m] = k;
    for (size_t i = 0; i < m; ++i) a[i] = previous[i] + k * previous[m - 1 - i];
    residual *= 1.0f - k * k;
  }
  std::memcpy(lpc_, a, sizeof(lpc_));
  if (order != order_) ClearMemory();
  order_ = order;
  rms_ = kOverloadRms * std::pow(10.0f, -static_cast<float>(payload[0]) / 20.0f);
  input_scale_ = rms_ * std::sqrt(std::max(residual, 1e-6f)) * kUniformToUnitVariance;
  return true;
}

uint8_t ComfortNoise::LevelFromRms(float rms) {
  if (rms <= 0) return kMaxLevel;
  const float level = std::round(-20.0f * std::log10(rms / kOverloadRms));
  return static_cast<uint8_t>(std::clamp(level, 0.0f, static_cast<float>(kMaxLevel)));
}

void ComfortNoise::SetLevelRms(float rms) {
  order_ = 0;
  rms_ = std::max(0.0f, rms);
  input_scale_ = rms_ * kUniformToUnitVariance;
}

void ComfortNoise::SetFromAudio(const int16_t* recent) {
  double predictor[kAudioOrder];
  const double residual = Lpc::Fit(recent, kAudioOrder, predictor);
  double energy = 0;
  for (size_t i = 0; i < Lpc::kWindowSamples; ++i) energy += static_cast<double>(recent[i]) * recent[i];
  if (order_ != kAudioOrder) ClearMemory();
  order_ = kAudioOrder;
  // A(z) = 1 - sum predictor[k] z^-(k+1).
  for (size_t k = 0; k < kAudioOrder; ++k) lpc_[k] = static_cast<float>(-predictor[k]);
  rms_ = static_cast<float>(std::sqrt(energy / Lpc::kWindowSamples));
  input_scale_ = rms_ * static_cast<float>(std::sqrt(residual)) * kUniformToUnitVariance;
}

void ComfortNoise::ClearMemory() {
  std::memset(memory_, 0, sizeof(memory_));
  head_ = 0;
}


void ComfortNoise::Add(int16_t* out, size_t samples, float gain) {
  for (size_t n = 0; n < samples; ++n) {
    float y = NextWhite(random_) * input_scale_;
    const float* past = memory_ + head_;
    for (size_t i = 0; i < order_; ++i) y -= lpc_[i] * past[i];
    if (order_ > 0) {
      head_ = (head_ == 0 ? order_ : head_) - 1;
      memory_[head_] = memory_[head_ + order_] = y;
    }
    const float mixed = static_cast<float>(out[n]) + gain * y;
    out[n] = static_cast<int16_t>(std::lrint(std::clamp(mixed, -32768.0f, 32767.0f)));
  }
}

}  // namespace parley

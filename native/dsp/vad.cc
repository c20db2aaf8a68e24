#include "dsp/vad.h"

#include <algorithm>
#include <cmath>

namespace parley {
namespace {

constexpr float kPi = 3.14159265f;
constexpr float kThresholdDb[] = {5.0f, 7.0f, 9.0f, 12.0f};
constexpr float kFloorRiseDbPerSecond = 1.0f;
constexpr float kFloorFall = 0.3f;         // weight of a lower frame in the floor
constexpr float kAbsoluteFloorDb = -75.0f; // digital silence never counts as speech

}  // namespace

Vad::Vad(int sample_rate_hz, int aggressiveness, int hangover_ms)
    : sample_rate_hz_(sample_rate_hz),
      threshold_db_(kThresholdDb[std::clamp(aggressiveness, 0, 3)]),
      hangover_samples_(sample_rate_hz / 1000 * hangover_ms) {
  const float centres[kBands] = {400.0f, 1250.0f, 2750.0f};
  const float q[kBands] = {0.67f, 1.04f, 1.53f};
  for (int b = 0; b < kBands; ++b) {
    // RBJ band-pass (constant 0 dB peak gain).
    const float w0 = 2.0f * kPi * std::min(centres[b], 0.45f * static_cast<float>(sample_rate_hz)) / static_cast<float>(sample_rate_hz);
    const float alpha = std::sin(w0) / (2.0f * q[b]);
    const float a0 = 1.0f + alpha;
    bands_[b].b0 = alpha / a0;
    bands_[b].b1 = 0.0f;
    bands_[b].b2 = -alpha / a0;
    bands_[b].a1 = -2.0f * std::cos(w0) / a0;
    bands_[b].a2 = (1.0f - alpha) / a0;
    floor_db_[b] = 0.0f;
  }
}

bool Vad::Process(const int16_t* frame, size_t samples) {
  float energy_db[kBands];
  for (int b = 0; b < kBands; ++b) {
    double sum = 0.0;
    for (size_t i = 0; i < samples; ++i) {
      const float y = bands_[b].Run(static_cast<float>(frame[i]) / 32768.0f);
      sum += static_cast<double>(y) * y;
    }
    energy_db[b] = 10.0f * std::log10(static_cast<float>(sum / static_cast<double>(samples)) + 1e-10f);
  }
  if (!initialised_) {
    initialised_ = true;
    for (int b = 0; b < kBands; ++b) floor_db_[b] = energy_db[b];
  }
  const float rise_db = kFloorRiseDbPerSecond * static_cast<float>(samples) / static_cast<float>(sample_rate_hz_);
  float score = 0.0f;
  float loudest_db = -200.0f;
  for (int b = 0; b < kBands; ++b) {
    const float snr = energy_db[b] - floor_db_[b];
    // The strongest band decides: speech lights up one formant band or more, rarely all three.
    score = std::max(score, snr);
    loudest_db = std::max(loudest_db, energy_db[b]);
    floor_db_[b] = energy_db[b] < floor_db_[b] ? floor_db_[b] + kFloorFall * (energy_db[b] - floor_db_[b])
                                               : floor_db_[b] + rise_db;
  }
  last_score_db_ = score;
  last_raw_ = score > threshold_db_ && loudest_db > kAbsoluteFloorDb;
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

}  // namespace parley

#include "media/barge_in_detector.h"

#include <algorithm>
#include <cmath>

namespace parley {

BargeInDetector::BargeInDetector(int min_speech_ms, int frame_ms, int sample_rate_hz)
    : min_speech_ms_(min_speech_ms),
      frame_ms_(frame_ms),
      decimation_(static_cast<size_t>(sample_rate_hz / kAnalysisRateHz)),
      frame_analysis_(static_cast<size_t>(kAnalysisRateHz / 1000 * frame_ms)),
      reference_(static_cast<size_t>(kAnalysisRateHz / 1000 * (kMaxEchoDelayMs + frame_ms))),
      caller_(frame_analysis_) {}

void BargeInDetector::Decimate(const int16_t* in, size_t samples, float* out) const {
  // Averaging over the decimation factor is a crude low-pass, enough for a similarity test.
  const size_t count = std::min(frame_analysis_, samples / decimation_);
  for (size_t i = 0; i < count; ++i) {
    float sum = 0;
    for (size_t k = 0; k < decimation_; ++k) sum += in[i * decimation_ + k];
    out[i] = sum / static_cast<float>(decimation_);
  }
}

float BargeInDetector::EchoCorrelation() const {
  if (reference_filled_ < frame_analysis_) return 0.0f;
  double caller_energy = 0;
  for (float x : caller_) caller_energy += static_cast<double>(x) * x;
  if (caller_energy <= 0) return 0.0f;
  const size_t size = reference_.size();
  const size_t lags = reference_filled_ - frame_analysis_ + 1;
  float best = 0.0f;
  for (size_t lag = 0; lag < lags; ++lag) {
    // Window of reference ending `lag` samples before the newest one.
    const size_t start = (reference_head_ + size - frame_analysis_ - lag) % size;
    double cross = 0;
    double energy = 0;
    for (size_t i = 0; i < frame_analysis_; ++i) {
      const float r = reference_[(start + i) % size];
      cross += static_cast<double>(r) * caller_[i];
      energy += static_cast<double>(r) * r;
    }
    if (energy > 0) best = std::max(best, static_cast<float>(cross / std::sqrt(energy * caller_energy)));
  }
  return best;
}

bool BargeInDetector::Process(const int16_t* caller_frame, size_t samples, bool speech, const int16_t* bot_frame) {
  if (bot_frame == nullptr) {
    speech_ms_ = 0;
    fired_ = false;
    reference_filled_ = 0;
    return false;
  }
  float decimated[BargeInDetector::kAnalysisRateHz / 1000 * 60];
  Decimate(bot_frame, samples, decimated);
  for (size_t i = 0; i < frame_analysis_; ++i) {
    reference_[reference_head_] = decimated[i];
    reference_head_ = (reference_head_ + 1) % reference_.size();
  }
  reference_filled_ = std::min(reference_.size(), reference_filled_ + frame_analysis_);

  bool counts = speech;
  if (speech) {
    Decimate(caller_frame, samples, caller_.data());
    last_correlation_ = EchoCorrelation();
    if (last_correlation_ >= kEchoCorrelation) {
      ++echo_frames_;
      counts = false;
    }
  }
  speech_ms_ = counts ? speech_ms_ + frame_ms_ : std::max(0, speech_ms_ - frame_ms_);
  if (fired_ || speech_ms_ < min_speech_ms_) return false;
  fired_ = true;
  return true;
}

}  // namespace parley

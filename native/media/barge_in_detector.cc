#include "media/barge_in_detector.h"

#include <algorithm>
#include <cmath>

namespace parley {

BargeInDetector::BargeInDetector(int min_speech_ms, int frame_ms, int sample_rate_hz, bool echo_guard)
    : min_speech_ms_(min_speech_ms),
      echo_guard_(echo_guard),
      frame_ms_(frame_ms),
      decimation_(static_cast<size_t>(sample_rate_hz / kAnalysisRateHz)),
      frame_analysis_(static_cast<size_t>(kAnalysisRateHz / 1000 * frame_ms)),
      window_(frame_analysis_ * static_cast<size_t>(std::max(1, kWindowMs / frame_ms))),
      reference_(static_cast<size_t>(kAnalysisRateHz / 1000 * kMaxEchoDelayMs) + window_),
      caller_(window_) {}

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
  if (reference_filled_ < window_) return 0.0f;
  double caller_energy = 0;
  for (float x : caller_) caller_energy += static_cast<double>(x) * x;
  if (caller_energy <= 0) return 0.0f;
  const size_t size = reference_.size();
  const size_t lags = reference_filled_ - window_ + 1;
  float best = 0.0f;
  for (size_t lag = 0; lag < lags; ++lag) {
    // Window of reference ending `lag` samples before the newest one.
    const size_t start = (reference_head_ + size - window_ - lag) % size;
    double cross = 0;
    double energy = 0;
    for (size_t i = 0; i < window_; ++i) {
      const float r = reference_[(start + i) % size];
      cross += static_cast<double>(r) * caller_[i];
      energy += static_cast<double>(r) * r;
    }
    if (energy > 0) best = std::max(best, static_cast<float>(cross / std::sqrt(energy * caller_energy)));
  }
  return best;
}

void BargeInDetector::EndRun() {
  run_frames_ = 0;
  run_speech_frames_ = 0;
  run_silent_streak_ = 0;
  fired_ = false;
}

bool BargeInDetector::Process(const int16_t* caller_frame, size_t samples, bool speech, const int16_t* bot_frame) {
  // Silence is recorded in the reference too: the echo of the bot's previous sentence still
  // arrives (up to kMaxEchoDelayMs late) after a short pause between sentences, and must still
  // be recognised as echo when the next sentence starts.
  float decimated[BargeInDetector::kAnalysisRateHz / 1000 * 60] = {};
  if (bot_frame != nullptr) Decimate(bot_frame, samples, decimated);
  for (size_t i = 0; i < frame_analysis_; ++i) {
    reference_[reference_head_] = decimated[i];
    reference_head_ = (reference_head_ + 1) % reference_.size();
  }
  reference_filled_ = std::min(reference_.size(), reference_filled_ + frame_analysis_);
  std::copy(caller_.begin() + static_cast<std::ptrdiff_t>(frame_analysis_), caller_.end(), caller_.begin());
  Decimate(caller_frame, samples, caller_.data() + (window_ - frame_analysis_));
  if (bot_frame == nullptr) {
    EndRun();
    return false;
  }

  bool counts = speech;
  if (speech && echo_guard_) {
    // Only speech frames pay for the correlation.
    if (EchoCorrelation() >= kEchoCorrelation) {
      ++echo_frames_;
      counts = false;
    }
  }
  if (run_frames_ == 0 && !counts) return false;
  ++run_frames_;
  if (counts) {
    ++run_speech_frames_;
    run_silent_streak_ = 0;
  } else if (++run_silent_streak_ * frame_ms_ >= kRunGapMs) {
    EndRun();  // the caller stopped: a later turn may interrupt again
    return false;
  }
  // The run spans min_speech_ms from its first speech frame to this one, which is speech too,
  // and is mostly speech: a pause between two syllables does not push the decision back, a click
  // or a cough ends too soon (its trailing silence never completes a run).
  if (fired_ || !counts || run_frames_ * frame_ms_ < min_speech_ms_ || run_speech_frames_ * 4 < run_frames_ * 3) return false;
  fired_ = true;
  return true;
}

}  // namespace parley

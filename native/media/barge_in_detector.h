// Decides when the caller talks over the bot. Fires once caller speech has lasted
// min_speech_ms while bot audio is playing, so a click or a cough does not interrupt.
//
// Echo guard (chosen over a raised threshold, which also mutes a quiet caller): the bot's own
// audio coming back on the caller's leg is a delayed, attenuated copy of what was just sent. Each
// speech frame is correlated (normalised, over 0-240 ms of lag) with the recent outbound audio,
// both decimated to 4 kHz; a frame that matches it (>= kEchoCorrelation) is echo and does not
// count. Real speech over the echo (double talk) breaks the match and counts. The correlation runs
// only on frames the VAD calls speech while the bot plays, so it costs nothing in plain turns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace parley {

class BargeInDetector {
 public:
  static constexpr int kAnalysisRateHz = 4000;
  static constexpr int kMaxEchoDelayMs = 240;
  static constexpr float kEchoCorrelation = 0.6f;

  BargeInDetector(int min_speech_ms, int frame_ms, int sample_rate_hz);

  // `bot_frame` is the bot audio sent in the previous frame, nullptr when the bot is silent.
  bool Process(const int16_t* caller_frame, size_t samples, bool speech, const int16_t* bot_frame);
  int echo_frames() const { return echo_frames_; }
  float last_echo_correlation() const { return last_correlation_; }

 private:
  void Decimate(const int16_t* in, size_t samples, float* out) const;
  float EchoCorrelation() const;

  int min_speech_ms_;
  int frame_ms_;
  size_t decimation_;
  size_t frame_analysis_;        // samples per frame at 4 kHz
  std::vector<float> reference_; // ring of the last kMaxEchoDelayMs + frame of bot audio at 4 kHz
  size_t reference_head_ = 0;
  size_t reference_filled_ = 0;
  std::vector<float> caller_;
  int speech_ms_ = 0;
  bool fired_ = false;
  int echo_frames_ = 0;
  float last_correlation_ = 0;
};

}  // namespace parley

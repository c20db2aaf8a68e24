// Decides when the caller talks over the bot. Fires once a run of caller speech (speech frames
// with gaps shorter than kRunGapMs, at least 3/4 of them speech) has lasted min_speech_ms while
// bot audio is playing, so a click or a cough does not interrupt.
//
// Echo guard (chosen over a raised threshold, which also mutes a quiet caller): the bot's own
// audio coming back on the caller's leg is a delayed, attenuated copy of what was just sent. On
// each speech frame the last kWindowMs of caller audio is correlated (normalised, over 0-240 ms of
// lag) with the recent outbound audio, both decimated to 4 kHz; a window that matches it
// (>= kEchoCorrelation) is echo and the frame does not count. Real speech over the echo (double
// talk) breaks the match and counts. Measured in bench/vad (echo-guard.bench.ts): 0.6 still
// discounted real interruptions over a loud echo, 0.8 let echo through a 4-path room response.
// The window is longer than a frame because over 20 ms (80 samples at 4 kHz) two unrelated voices
// often correlate above the threshold at one of the ~1000 lags, which delayed real interruptions
// by 200+ ms. The correlation runs only on frames the VAD calls speech while the bot plays, so it
// costs nothing in plain turns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace parley {

class BargeInDetector {
 public:
  static constexpr int kAnalysisRateHz = 4000;
  static constexpr int kMaxEchoDelayMs = 240;
  static constexpr float kEchoCorrelation = 0.7f;
  static constexpr int kWindowMs = 60;
  static constexpr int kRunGapMs = 60;

  BargeInDetector(int min_speech_ms, int frame_ms, int sample_rate_hz, bool echo_guard = true);

  // `bot_frame` is the bot audio sent in the previous frame, nullptr when the bot is silent.
  // `speech` is the VAD's decision for this frame alone, without hangover: a 60 ms click
  // followed by a hangover must not add up to min_speech_ms.
  bool Process(const int16_t* caller_frame, size_t samples, bool speech, const int16_t* bot_frame);
  int echo_frames() const { return echo_frames_; }

 private:
  void EndRun();
  void Decimate(const int16_t* in, size_t samples, float* out) const;
  float EchoCorrelation() const;

  int min_speech_ms_;
  bool echo_guard_;
  int frame_ms_;
  size_t decimation_;
  size_t frame_analysis_;        // samples per frame at 4 kHz
  size_t window_;                // samples per correlation window at 4 kHz
  std::vector<float> reference_; // ring of the last kMaxEchoDelayMs + window of bot audio at 4 kHz
  size_t reference_head_ = 0;
  size_t reference_filled_ = 0;
  std::vector<float> caller_;    // the last window of caller audio at 4 kHz
  int run_frames_ = 0;
  int run_speech_frames_ = 0;
  int run_silent_streak_ = 0;
  bool fired_ = false;
  int echo_frames_ = 0;
};

}  // namespace parley

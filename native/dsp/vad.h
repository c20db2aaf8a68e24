// Voice activity detection per 10-30 ms frame. Three speech bands (200-800 Hz, 800-2000 Hz,
// 2000-3800 Hz) each track a noise floor (falls fast, rises ~1 dB/s, so stationary noise becomes
// the floor while speech, which is never stationary for long, stays above it); a frame is speech
// when enough band energy rises above its floor, and stays speech for the hangover. Deterministic
// and allocation-free.
#pragma once

#include <cstddef>
#include <cstdint>

namespace parley {

class Vad {
 public:
  // aggressiveness 0..3 raises the SNR a frame needs to count as speech (like WebRTC's modes).
  Vad(int sample_rate_hz, int aggressiveness, int hangover_ms);

  bool Process(const int16_t* frame, size_t samples);
  // The last frame's score (dB above the noise floors, weighted across bands) and raw decision.
  float last_score_db() const { return last_score_db_; }
  bool last_raw() const { return last_raw_; }

 private:
  struct Biquad {
    float b0, b1, b2, a1, a2;
    float z1 = 0, z2 = 0;
    float Run(float x) {
      const float y = b0 * x + z1;
      z1 = b1 * x - a1 * y + z2;
      z2 = b2 * x - a2 * y;
      return y;
    }
  };
  static constexpr int kBands = 3;

  int sample_rate_hz_;
  float threshold_db_;
  int hangover_samples_;
  Biquad bands_[kBands];
  float floor_db_[kBands];
  bool initialised_ = false;
  int hangover_left_ = 0;
  float last_score_db_ = 0;
  bool last_raw_ = false;
};

}  // namespace parley

// The change of sample rate between a leg (its codec's or its transport's PCM rate) and the bot,
// both ways, one 20 ms frame at a time; a plain copy when the rates match.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "dsp/resampler.h"

namespace parley {

class RateBridge {
 public:
  RateBridge(int leg_rate_hz, int bot_rate_hz, int frame_ms);

  size_t leg_frame_samples() const { return leg_frame_samples_; }
  // The lower of the two rates: speech detection analyses the caller's frame there. Its band
  // (up to 3.8 kHz) fits in either, and an 8 kHz telephone frame costs half of its 16 kHz copy.
  int speech_rate_hz() const { return speech_rate_hz_; }

  // One leg frame of caller audio into one bot frame at `bot_frame`. Returns the frame at
  // speech_rate_hz(): `leg_frame` or `bot_frame`.
  const int16_t* ToBot(const int16_t* leg_frame, int16_t* bot_frame);
  // One bot frame into one leg frame at `leg_frame`.
  void FromBot(const int16_t* bot_frame, int16_t* leg_frame);

 private:
  size_t leg_frame_samples_;
  size_t bot_frame_samples_;
  int speech_rate_hz_;
  bool speech_at_leg_rate_;
  std::unique_ptr<Resampler> to_bot_;    // null when the rates match
  std::unique_ptr<Resampler> from_bot_;  // null when the rates match
};

}  // namespace parley

#include "media/rate_bridge.h"

#include <algorithm>
#include <cstring>

namespace parley {

RateBridge::RateBridge(int leg_rate_hz, int bot_rate_hz, int frame_ms)
    : leg_frame_samples_(static_cast<size_t>(leg_rate_hz / 1000 * frame_ms)),
      bot_frame_samples_(static_cast<size_t>(bot_rate_hz / 1000 * frame_ms)),
      speech_rate_hz_(std::min(leg_rate_hz, bot_rate_hz)),
      speech_at_leg_rate_(leg_rate_hz < bot_rate_hz) {
  if (leg_rate_hz != bot_rate_hz) {
    to_bot_ = std::make_unique<Resampler>(leg_rate_hz, bot_rate_hz);
    from_bot_ = std::make_unique<Resampler>(bot_rate_hz, leg_rate_hz);
  }
}

const int16_t* RateBridge::ToBot(const int16_t* leg_frame, int16_t* bot_frame) {
  if (to_bot_) {
    to_bot_->Process(leg_frame, leg_frame_samples_, bot_frame);
  } else {
    std::memcpy(bot_frame, leg_frame, bot_frame_samples_ * sizeof(int16_t));
  }
  return speech_at_leg_rate_ ? leg_frame : bot_frame;
}

void RateBridge::FromBot(const int16_t* bot_frame, int16_t* leg_frame) {
  if (from_bot_) {
    from_bot_->Process(bot_frame, bot_frame_samples_, leg_frame);
  } else {
    std::memcpy(leg_frame, bot_frame, leg_frame_samples_ * sizeof(int16_t));
  }
}

}  // namespace parley

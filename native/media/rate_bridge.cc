#include "media/rate_bridge.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace parley {

RateBridge::RateBridge(int leg_rate_hz, int bot_rate_hz, int frame_ms)
    : leg_rate_hz_(leg_rate_hz),
      leg_frame_samples_(static_cast<size_t>(leg_rate_hz / 1000 * frame_ms)),
      bot_frame_samples_(static_cast<size_t>(bot_rate_hz / 1000 * frame_ms)),
      speech_rate_hz_(std::min(leg_rate_hz, bot_rate_hz)),
      speech_at_leg_rate_(leg_rate_hz < bot_rate_hz) {
  if (leg_rate_hz != bot_rate_hz) {
    to_bot_ = std::make_unique<Resampler>(leg_rate_hz, bot_rate_hz);
    from_bot_ = std::make_unique<Resampler>(bot_rate_hz, leg_rate_hz);
  }
}

void RateBridge::EnableEchoCancellation(EchoCancellerConfig config) {
  config.sample_rate_hz = speech_rate_hz_;
  auto echo = std::make_unique<LegEchoCanceller>(config);
  if (echo->frame_samples() != std::min(leg_frame_samples_, bot_frame_samples_)) {
    throw std::invalid_argument("echo cancellation runs on 20 ms frames");
  }
  echo_ = std::move(echo);
  if (speech_rate_hz_ == leg_rate_hz_) {
    cleaned_.assign(leg_frame_samples_, 0);
  } else {
    raw_bot_.assign(bot_frame_samples_, 0);
  }
}

const int16_t* RateBridge::ToBot(const int16_t* leg_frame, int16_t* bot_frame) {
  // With the canceller on, speech is cleaned at the speech rate: on the leg frame before it is
  // resampled when the leg's rate is the lower, after it otherwise.
  const bool clean_leg_frame = echo_ && !cleaned_.empty();
  if (clean_leg_frame) {
    std::memcpy(cleaned_.data(), leg_frame, leg_frame_samples_ * sizeof(int16_t));
    echo_->Cancel(cleaned_.data());
  }
  const int16_t* to_resample = clean_leg_frame ? cleaned_.data() : leg_frame;
  if (to_bot_) {
    to_bot_->Process(to_resample, leg_frame_samples_, bot_frame);
  } else {
    std::memcpy(bot_frame, to_resample, bot_frame_samples_ * sizeof(int16_t));
  }
  if (echo_ && !clean_leg_frame) {
    std::memcpy(raw_bot_.data(), bot_frame, bot_frame_samples_ * sizeof(int16_t));
    echo_->Cancel(bot_frame);
  }
  if (speech_at_leg_rate_) {
    capture_ = leg_frame;
    return to_resample;
  }
  capture_ = echo_ && !clean_leg_frame ? raw_bot_.data() : (clean_leg_frame ? leg_frame : bot_frame);
  return bot_frame;
}

void RateBridge::FromBot(const int16_t* bot_frame, int16_t* leg_frame) {
  if (from_bot_) {
    from_bot_->Process(bot_frame, bot_frame_samples_, leg_frame);
  } else {
    std::memcpy(leg_frame, bot_frame, leg_frame_samples_ * sizeof(int16_t));
  }
  if (echo_) echo_->Sent(cleaned_.empty() ? bot_frame : leg_frame);
}

}  // namespace parley

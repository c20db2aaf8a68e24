#include "media/echo_level_plausibility.h"

#include <algorithm>
#include <cmath>

namespace parley {
namespace {

size_t FramesIn(int ms, int frame_ms) { return static_cast<size_t>(ms / frame_ms); }

const float kMargin = std::pow(10.0f, EchoLevelPlausibility::kMarginDb / 10.0f);

}  // namespace

EchoLevelPlausibility::EchoLevelPlausibility(int frame_ms)
    : frame_ms_(std::max(frame_ms, kMinFrameMs)),
      line_frames_(std::clamp<size_t>(FramesIn(kWindowMs, frame_ms_), 1, kMaxLineFrames)),
      match_frames_(std::clamp<size_t>(FramesIn(EchoMatcher::kWindowMs, frame_ms_), 1, line_frames_)),
      slack_frames_(FramesIn(kLagSlackMs, frame_ms_)),
      max_delay_frames_(FramesIn(EchoMatcher::kMaxEchoDelayMs, frame_ms_)),
      sent_frames_(std::min(kMaxSentFrames, max_delay_frames_ + line_frames_ + slack_frames_ + 1)) {}

void EchoLevelPlausibility::Push(float sent_energy, float line_energy) {
  sent_[sent_head_] = sent_energy;
  sent_head_ = sent_head_ + 1 == sent_frames_ ? 0 : sent_head_ + 1;
  line_[line_head_] = line_energy;
  line_head_ = line_head_ + 1 == line_frames_ ? 0 : line_head_ + 1;
}

float EchoLevelPlausibility::Sent(size_t age) const {
  if (age >= sent_frames_) return 0.0f;
  return sent_[(sent_head_ + sent_frames_ - 1 - age) % sent_frames_];
}

float EchoLevelPlausibility::Line(size_t age) const { return line_[(line_head_ + line_frames_ - 1 - age) % line_frames_]; }

float EchoLevelPlausibility::LoudestSent(size_t frames) const {
  float loudest = 0.0f;
  for (size_t age = 0; age < frames; ++age) loudest = std::max(loudest, Sent(age));
  return loudest;
}

bool EchoLevelPlausibility::Explains(size_t delay_frames) const {
  // The sent frames within the slack of line frame `age`, at this delay.
  const auto sent_range = [&](size_t age, bool loudest) {
    const size_t centre = age + delay_frames;
    float value = Sent(centre);
    for (size_t age_sent = centre > slack_frames_ ? centre - slack_frames_ : 0; age_sent <= centre + slack_frames_; ++age_sent) {
      value = loudest ? std::max(value, Sent(age_sent)) : std::min(value, Sent(age_sent));
    }
    return value;
  };
  float line = 0.0f;
  float sent = 0.0f;
  for (size_t age = 0; age < match_frames_; ++age) {
    line += Line(age);
    sent += sent_range(age, true);
  }
  // Nothing was sent near this delay: no gain makes the line its echo.
  if (sent <= 0.0f) return false;
  const float gain = line / sent;
  for (size_t age = 0; age < line_frames_; ++age) {
    // +1: a digitally silent line frame is not infinitely far under a quiet sent one.
    if (gain * sent_range(age, false) > kMargin * (Line(age) + 1.0f)) return false;
  }
  return true;
}

bool EchoLevelPlausibility::Plausible(int matched_delay_ms) const {
  const size_t matched = std::min(max_delay_frames_, static_cast<size_t>(std::max(0, matched_delay_ms + frame_ms_ / 2) / frame_ms_));
  if (Explains(matched)) return true;
  for (size_t delay = 0; delay <= max_delay_frames_; ++delay) {
    if (delay != matched && Explains(delay)) return true;
  }
  return false;
}

}  // namespace parley

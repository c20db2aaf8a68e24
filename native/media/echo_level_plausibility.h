// Tells whether the caller's recent line level could be the bot's echo at all, whatever its
// waveform resembles: echo is the sent audio delayed and scaled, so for some delay in
// 0..EchoMatcher::kMaxEchoDelayMs, each frame of the last kWindowMs of line audio must be
// at least what the sent audio at that delay, scaled by the echo gain that delay implies, would
// leave on the line, less kMarginDb. A caller starting to talk after a pause breaks it: their
// pause is too quiet for what the bot said at every delay where it did not pause too (in bench/vad the clean caller's
// espeak-ng consonants matched the bot's waveform at 0.77-0.97 with no echo on the line).
//
// Lenient toward echo, so that a real echo path never fails it: the gain is the one that
// explains the newest EchoMatcher::kWindowMs (what the matcher correlated) from the loudest sent
// frame within ±kLagSlackMs, each frame is compared with the quietest sent frame within
// ±kLagSlackMs (a browser's jitter buffers stretch and shrink the delay by tens of ms, and a
// delay between two frames straddles them), and kMarginDb leaves room for an echo path whose
// gain varies (automatic gain control, a room). Uses the raw line, before the canceller, whose
// output no longer scales with what was sent.
#pragma once

#include <cstddef>

#include "media/echo_matcher.h"

namespace parley {

class EchoLevelPlausibility {
 public:
  static constexpr int kWindowMs = 200;
  static constexpr int kLagSlackMs = 40;
  static constexpr float kMarginDb = 20.0f;

  explicit EchoLevelPlausibility(int frame_ms);

  // One frame each, every frame: the energy per sample of what was sent (0 for silence) and of
  // the raw line.
  void Push(float sent_energy, float line_energy);
  // Whether some delay in range explains the line's last kWindowMs. `matched_delay_ms`, the
  // delay the waveform matched at, is tried first: on a steady echo it answers alone. Measured
  // with callgrind on native/test/barge_in_detector_test.cc's echo runs: 1,500 instructions a call
  // (3,480 trying the delays in order from 0), against 9,640 for the EchoMatcher::Matches before it.
  bool Plausible(int matched_delay_ms) const;
  // The loudest sent energy of the last `frames` frames (this one included).
  float LoudestSent(size_t frames) const;

 private:
  // Frames are at least kMinFrameMs long: the rings are sized for it, without allocation.
  static constexpr int kMinFrameMs = 10;
  static constexpr size_t kMaxLineFrames = kWindowMs / kMinFrameMs;
  static constexpr size_t kMaxSentFrames = (EchoMatcher::kMaxEchoDelayMs + kWindowMs + kLagSlackMs) / kMinFrameMs + 1;

  // The sent frame `age` frames old (0: this frame's), or the line's; silence before the history.
  float Sent(size_t age) const;
  float Line(size_t age) const;
  bool Explains(size_t delay_frames) const;

  int frame_ms_;
  size_t line_frames_;
  size_t match_frames_;
  size_t slack_frames_;
  size_t max_delay_frames_;
  size_t sent_frames_;
  float sent_[kMaxSentFrames] = {};
  float line_[kMaxLineFrames] = {};
  size_t sent_head_ = 0;  // where the next frame goes
  size_t line_head_ = 0;
};

}  // namespace parley

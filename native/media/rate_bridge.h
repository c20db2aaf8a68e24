// The change of sample rate between a leg (its codec's or its transport's PCM rate) and the bot,
// both ways, one 20 ms frame at a time; a plain copy when the rates match. Where the two
// directions meet, it is also where the leg's echo canceller, when enabled, sees what was sent
// and cleans what came back (leg_echo_canceller.h), at the speech rate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "dsp/resampler.h"
#include "media/leg_echo_canceller.h"

namespace parley {

class RateBridge {
 public:
  RateBridge(int leg_rate_hz, int bot_rate_hz, int frame_ms);

  size_t leg_frame_samples() const { return leg_frame_samples_; }
  size_t bot_frame_samples() const { return bot_frame_samples_; }
  // The lower of the two rates: speech detection analyses the caller's frame there. Its band
  // (up to 3.8 kHz) fits in either, and an 8 kHz telephone frame costs half of its 16 kHz copy.
  int speech_rate_hz() const { return speech_rate_hz_; }

  // Cancels the echo of the bot's audio in the caller's from now on; `config`'s rate is set to
  // speech_rate_hz() (std::invalid_argument if the canceller cannot run there: 24 or 48 kHz).
  void EnableEchoCancellation(EchoCancellerConfig config);
  // The last frame ToBot was given, at speech_rate_hz(), before echo cancellation (the frame it
  // returned while cancellation is off). Valid until the next call on the leg.
  const int16_t* capture_frame() const { return capture_; }
  bool echo_cancelling() const { return echo_ != nullptr; }
  // Null while echo cancellation is off.
  const EchoCancellerStats* echo_stats() const { return echo_ ? &echo_->stats() : nullptr; }

  // One leg frame of caller audio (echo-cancelled when enabled) into one bot frame at
  // `bot_frame`. Returns the frame at speech_rate_hz(): `bot_frame` or a frame of the bridge's.
  const int16_t* ToBot(const int16_t* leg_frame, int16_t* bot_frame);
  // One bot frame into one leg frame at `leg_frame`.
  void FromBot(const int16_t* bot_frame, int16_t* leg_frame);

 private:
  int leg_rate_hz_;
  size_t leg_frame_samples_;
  size_t bot_frame_samples_;
  int speech_rate_hz_;
  bool speech_at_leg_rate_;
  std::unique_ptr<Resampler> to_bot_;    // null when the rates match
  std::unique_ptr<Resampler> from_bot_;  // null when the rates match
  std::unique_ptr<LegEchoCanceller> echo_;
  std::vector<int16_t> cleaned_;  // the caller's leg frame, echo-cancelled at the leg rate
  std::vector<int16_t> raw_bot_;  // the caller's bot frame before cancellation at the bot rate
  const int16_t* capture_ = nullptr;
};

}  // namespace parley

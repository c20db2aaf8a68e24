// The echo canceller of one network leg, between the codec and the bot's rate change: the audio
// that leaves toward the caller in one frame period is the reference for the caller audio
// pulled in the next (a session pulls frame t, then sends frame t), so the canceller sees the
// sent audio at the moment it left, and the echo path's delay it estimates is everything after
// that: the network both ways, the phone or the line, and the jitter buffer.
//
// It runs at the rate speech is analysed at (the lower of the leg's and the bot's, 8 or 16 kHz):
// a G.711 leg's 8 kHz frames before they are resampled for the bot, not their 16 kHz copy. A
// frame that is not sent as audio (silence, DTMF, paused) leaves the reference silent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "dsp/echo_canceller.h"

namespace parley {

class LegEchoCanceller {
 public:
  // std::invalid_argument when `config.sample_rate_hz` is not a rate the canceller runs at.
  explicit LegEchoCanceller(const EchoCancellerConfig& config);

  size_t frame_samples() const { return canceller_.frame_samples(); }
  // The frame that leaves toward the caller now (frame_samples() at the canceller's rate).
  void Sent(const int16_t* frame);
  // One frame received from the caller, cleaned in place of `frame`; consumes the reference.
  void Cancel(int16_t* frame);
  const EchoCancellerStats& stats() const { return canceller_.stats(); }

 private:
  EchoCanceller canceller_;
  std::vector<int16_t> reference_;
  bool has_reference_ = false;
};

}  // namespace parley

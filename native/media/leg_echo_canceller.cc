#include "media/leg_echo_canceller.h"

#include <algorithm>

namespace parley {

LegEchoCanceller::LegEchoCanceller(const EchoCancellerConfig& config)
    : canceller_(config), reference_(canceller_.frame_samples(), 0) {}

void LegEchoCanceller::Sent(const int16_t* frame) {
  std::copy_n(frame, reference_.size(), reference_.begin());
  has_reference_ = true;
}

void LegEchoCanceller::Cancel(int16_t* frame) {
  canceller_.Process(frame, has_reference_ ? reference_.data() : nullptr, frame);
  has_reference_ = false;
}

}  // namespace parley

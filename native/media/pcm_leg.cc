#include "media/pcm_leg.h"

#include <algorithm>
#include <cstring>

#include "media/sample_ring.h"

namespace parley {

PcmLeg::PcmLeg(int leg_rate_hz, int bot_rate_hz, int frame_ms)
    : rates_(leg_rate_hz, bot_rate_hz, frame_ms),
      fifo_(static_cast<size_t>(leg_rate_hz / 1000 * kFifoMs)),
      leg_frame_(rates_.leg_frame_samples()),
      outbound_(rates_.leg_frame_samples() * kMaxOutboundFrames) {}

void PcmLeg::PushCallerPcm(const int16_t* pcm, size_t samples) {
  const size_t capacity = fifo_.size();
  if (samples > capacity) {
    overflow_samples_ += samples - capacity;
    pcm += samples - capacity;
    samples = capacity;
  }
  const size_t overflow = fifo_size_ + samples > capacity ? fifo_size_ + samples - capacity : 0;
  if (overflow > 0) {
    fifo_head_ = (fifo_head_ + overflow) % capacity;
    fifo_size_ -= overflow;
    overflow_samples_ += overflow;
  }
  if (samples > 0) RingWrite(fifo_, (fifo_head_ + fifo_size_) % capacity, pcm, samples);
  fifo_size_ += samples;
}

const int16_t* PcmLeg::PullCallerFrame(int64_t, int16_t* out, SessionEventSink&, int32_t) {
  const size_t available = std::min(fifo_size_, leg_frame_.size());
  RingRead(fifo_, fifo_head_, leg_frame_.data(), available);
  std::fill(leg_frame_.begin() + static_cast<std::ptrdiff_t>(available), leg_frame_.end(), int16_t{0});
  underrun_samples_ += leg_frame_.size() - available;
  fifo_head_ = (fifo_head_ + available) % fifo_.size();
  fifo_size_ -= available;
  return rates_.ToBot(leg_frame_.data(), out);
}

void PcmLeg::PushBotFrame(const int16_t* frame, bool) {
  // chan_websocket plays what it is given and fills gaps itself: silence is not sent.
  if (frame == nullptr) return;
  if (outbound_samples_ + leg_frame_.size() > outbound_.size()) {
    ++dropped_outbound_frames_;  // JS has not drained for kMaxOutboundFrames ticks
    return;
  }
  int16_t* target = outbound_.data() + outbound_samples_;
  rates_.FromBot(frame, target);
  outbound_samples_ += leg_frame_.size();
}

}  // namespace parley

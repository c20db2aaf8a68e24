// A network leg that carries linear PCM instead of RTP: Asterisk's ExternalMedia over
// chan_websocket (slin16). Frames arrive over TCP in order, so there is no jitter buffer; a short
// FIFO absorbs WebSocket message sizes that differ from the 20 ms tick.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "media/network_leg.h"
#include "media/rate_bridge.h"

namespace parley {

class PcmLeg final : public NetworkLeg {
 public:
  static constexpr int kFifoMs = 1000;
  // Frames paced for JS to carry before it takes them (takeOutboundPcm). A loaded event loop can
  // stall for a few hundred ms; the frames paced meanwhile must wait, not be dropped: on
  // AudioSocket a 160 ms bound lost about a tenth of the bot's speech on a busy 2-core machine.
  static constexpr int kMaxOutboundFrames = 32;

  PcmLeg(int leg_rate_hz, int bot_rate_hz, int frame_ms);

  // Caller audio from the network (one crossing per WebSocket message). Audio beyond kFifoMs is
  // dropped oldest-first and counted: a stalled tick must not grow memory.
  void PushCallerPcm(const int16_t* pcm, size_t samples);

  const int16_t* PullCallerFrame(int64_t frame_time_us, int16_t* out, SessionEventSink& events,
                                 int32_t session_id) override;
  int speech_rate_hz() const override { return rates_.speech_rate_hz(); }
  RateBridge& rates() override { return rates_; }
  void PushBotFrame(const int16_t* frame, bool talkspurt_start) override;
  bool SendDtmf(const char*, size_t) override { return false; }  // chan_websocket carries no DTMF toward the caller
  PcmLeg* AsPcm() override { return this; }

  // Bot audio at the leg rate waiting for JS to send it; Drain hands it over and empties the buffer.
  const int16_t* outbound() const { return outbound_.data(); }
  size_t outbound_samples() const { return outbound_samples_; }
  void DrainOutbound() { outbound_samples_ = 0; }

  uint64_t underrun_samples() const { return underrun_samples_; }
  uint64_t overflow_samples() const { return overflow_samples_; }
  uint64_t dropped_outbound_frames() const { return dropped_outbound_frames_; }

 private:
  RateBridge rates_;
  std::vector<int16_t> fifo_;
  size_t fifo_head_ = 0;
  size_t fifo_size_ = 0;
  std::vector<int16_t> leg_frame_;
  std::vector<int16_t> outbound_;
  size_t outbound_samples_ = 0;
  uint64_t underrun_samples_ = 0;
  uint64_t overflow_samples_ = 0;
  uint64_t dropped_outbound_frames_ = 0;
};

}  // namespace parley

// Sends queued DTMF digits as RFC 4733 telephone events, one packet per media frame, in place of
// the audio for that frame (section 2.5.1.2: the event replaces the audio it stands for).
#pragma once

#include <cstddef>
#include <cstdint>

#include "rtp/telephone_event.h"

namespace parley {

struct DtmfPackets {
  // Up to three payloads to send this frame (the end packet is sent three times, section 2.5.1.4).
  uint8_t payloads[3][TelephoneEvent::kPayloadBytes];
  size_t count = 0;
  uint32_t event_timestamp = 0;  // RTP timestamp of the event's first frame, the same for all its packets
  bool marker = false;           // set on the first packet of an event (section 2.5.1.3)
};

class DtmfSender {
 public:
  static constexpr int kToneMs = 100;
  static constexpr int kGapMs = 60;
  static constexpr size_t kMaxQueuedDigits = 64;

  DtmfSender(int clock_rate_hz, int frame_ms);

  // Queues digits ('0'-'9', '*', '#', 'A'-'D'); false (nothing queued) if one is invalid or the queue would overflow.
  bool Enqueue(const char* digits, size_t count);
  // For the frame whose RTP timestamp is `frame_rtp_timestamp`: fills `out` and returns true when
  // this frame carries an event instead of audio.
  bool Tick(uint32_t frame_rtp_timestamp, DtmfPackets* out);
  bool idle() const { return queued_ == 0 && frame_in_digit_ < 0; }

 private:
  int frame_ms_;
  uint32_t samples_per_frame_;
  int tone_frames_;
  int gap_frames_;
  uint8_t queue_[kMaxQueuedDigits];
  size_t head_ = 0;
  size_t queued_ = 0;
  int frame_in_digit_ = -1;  // -1: no digit in progress; counts tone then gap frames
  uint8_t event_ = 0;
  uint32_t event_timestamp_ = 0;
};

}  // namespace parley

// Turns RFC 4733 telephone-event packets into whole digits: one report per event, whatever the
// number of updates and of the three retransmitted end packets (RFC 4733 section 2.5.1.4).
#pragma once

#include <cstdint>

#include "rtp/telephone_event.h"

namespace parley {

struct DtmfDigit {
  char digit;
  int duration_ms;
};

class DtmfReceiver {
 public:
  // An event whose end packets were all lost is closed this long after its last packet.
  static constexpr int64_t kEndTimeoutUs = 250'000;

  explicit DtmfReceiver(int clock_rate_hz) : clock_rate_hz_(clock_rate_hz) {}

  // Returns true and fills `out` when a digit is complete (this packet ended it, or started the next).
  bool OnPacket(uint32_t rtp_timestamp, const TelephoneEvent& event, int64_t arrival_us, DtmfDigit* out);
  // Closes an event left open by lost end packets.
  bool Poll(int64_t now_us, DtmfDigit* out);

 private:
  bool Finish(DtmfDigit* out);

  int clock_rate_hz_;
  bool active_ = false;
  uint32_t timestamp_ = 0;
  uint8_t event_ = 0;
  uint16_t duration_ = 0;
  int64_t last_packet_us_ = 0;
  bool finished_any_ = false;
  uint32_t finished_timestamp_ = 0;
};

}  // namespace parley

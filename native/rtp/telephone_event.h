// RFC 4733 section 2.3 telephone-event payload (DTMF named events).
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |     event     |E|R| volume    |          duration             |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include <cstddef>
#include <cstdint>

namespace parley {

struct TelephoneEvent {
  static constexpr size_t kPayloadBytes = 4;

  uint8_t event = 0;        // 0-9, 10 '*', 11 '#', 12-15 'A'-'D' (RFC 4733 section 3.2)
  bool end = false;         // E bit
  uint8_t volume_dbm0 = 0;  // power level as -dBm0, 0..63
  uint16_t duration = 0;    // in RTP timestamp units since the event's timestamp

  // False for a payload shorter than 4 bytes. Extra bytes (redundant events, RFC 4733 2.4) are ignored.
  static bool Parse(const uint8_t* data, size_t length, TelephoneEvent* out);
  void SerializeTo(uint8_t out[kPayloadBytes]) const;

  // '0'-'9', '*', '#', 'A'-'D'; '\0' for events outside the DTMF set.
  static char DigitOf(uint8_t event);
  // Returns -1 for a character that is not a DTMF digit.
  static int EventOf(char digit);
};

}  // namespace parley

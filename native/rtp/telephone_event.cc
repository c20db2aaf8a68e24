#include "rtp/telephone_event.h"

namespace parley {
namespace {
constexpr char kDigits[] = "0123456789*#ABCD";
}

bool TelephoneEvent::Parse(const uint8_t* data, size_t length, TelephoneEvent* out) {
  if (length < kPayloadBytes) return false;
  out->event = data[0];
  out->end = (data[1] & 0x80) != 0;
  out->volume_dbm0 = data[1] & 0x3f;
  out->duration = static_cast<uint16_t>((data[2] << 8) | data[3]);
  return true;
}

void TelephoneEvent::SerializeTo(uint8_t out[kPayloadBytes]) const {
  out[0] = event;
  out[1] = static_cast<uint8_t>((end ? 0x80 : 0) | (volume_dbm0 & 0x3f));  // R bit stays 0
  out[2] = static_cast<uint8_t>(duration >> 8);
  out[3] = static_cast<uint8_t>(duration & 0xff);
}

char TelephoneEvent::DigitOf(uint8_t event) { return event < 16 ? kDigits[event] : '\0'; }

int TelephoneEvent::EventOf(char digit) {
  if (digit >= 'a' && digit <= 'd') digit = static_cast<char>(digit - 'a' + 'A');
  for (int i = 0; i < 16; ++i) {
    if (kDigits[i] == digit) return i;
  }
  return -1;
}

}  // namespace parley

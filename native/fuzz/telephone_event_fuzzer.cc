// RFC 4733 telephone-event payloads and the receiver's digit state machine: events, ends,
// retransmissions and durations out of order, with timestamps and arrival times that jump.
//   input: records of [u32 rtp timestamp][u16 arrival step ms][u8 length][payload]
#include <cstdint>

#include "fuzz/fuzz_input.h"
#include "media/dtmf_receiver.h"
#include "rtp/telephone_event.h"

using parley::fuzz::Check;
using parley::fuzz::FuzzInput;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput input(data, size);
  parley::DtmfReceiver receiver(input.U8() & 1 ? 16000 : 8000);
  int64_t arrival_us = 0;
  while (!input.empty()) {
    const uint32_t timestamp = input.U32();
    arrival_us += int64_t{input.U16()} * 1000;
    size_t length = 0;
    const uint8_t* payload = input.Bytes(input.U8() % 16, &length);
    parley::TelephoneEvent event;
    const bool parsed = parley::TelephoneEvent::Parse(payload, length, &event);
    Check(parsed == (length >= parley::TelephoneEvent::kPayloadBytes));
    parley::DtmfDigit digit;
    if (parsed && receiver.OnPacket(timestamp, event, arrival_us, &digit)) Check(digit.duration_ms >= 0);
    if (receiver.Poll(arrival_us, &digit)) Check(digit.duration_ms >= 0);
    if (parsed) {
      uint8_t again[parley::TelephoneEvent::kPayloadBytes];
      event.SerializeTo(again);
      parley::TelephoneEvent round;
      Check(parley::TelephoneEvent::Parse(again, sizeof(again), &round) && round.event == event.event &&
            round.end == event.end && round.duration == event.duration);
    }
  }
  return 0;
}

// The PCM frame path (Asterisk chan_websocket slin16): caller PCM of any size pushed between
// ticks, bot audio, marks and clears, at every leg/bot rate pair, with ticks that jump.
//   input: [leg rate][bot rate] then records of [op][u16 sample count or step][samples]
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "fuzz/fuzz_input.h"
#include "media/media_session.h"
#include "media/pcm_leg.h"

using namespace parley;
using parley::fuzz::Check;
using parley::fuzz::FuzzInput;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const int kRates[] = {8000, 16000, 24000, 48000};
  static SessionEventSink events;
  FuzzInput input(data, size);
  const int leg_rate_hz = kRates[input.U8() % 4];
  MediaSessionOptions options;
  options.bot_rate_hz = kRates[input.U8() % 4];
  auto owned = std::make_unique<PcmLeg>(leg_rate_hz, options.bot_rate_hz, options.frame_ms);
  PcmLeg* leg = owned.get();
  MediaSession session(1, options, std::move(owned), 0);
  int64_t now_us = 0;
  std::vector<int16_t> pcm;
  uint32_t reached[PlayoutQueue::kMaxMarks];
  while (!input.empty()) {
    const uint8_t op = input.U8();
    const uint16_t count = input.U16();
    size_t length = 0;
    const uint8_t* bytes = input.Bytes(size_t{count % 4096} * 2, &length);
    pcm.resize(length / 2);
    if (!pcm.empty()) std::memcpy(pcm.data(), bytes, pcm.size() * 2);
    switch (op % 6) {
      case 0: leg->PushCallerPcm(pcm.data(), pcm.size()); break;
      case 1: session.PushBotAudio(pcm.data(), pcm.size()); break;
      case 2: session.Mark(count); break;
      case 3: Check(session.Clear(reached) <= PlayoutQueue::kMaxMarks); break;
      case 4:
        now_us += int64_t{count} * 100;
        session.Tick(now_us, events);
        events.Reset();
        leg->DrainOutbound();
        break;
      case 5: leg->set_paused(count & 1); break;
    }
  }
  return 0;
}

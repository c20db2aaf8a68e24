// ITU-T G.722 decoder, 64 kbit/s mode.
#pragma once

#include <cstddef>
#include <cstdint>

namespace parley {

class G722Decoder {
 public:
  G722Decoder();
  // Decodes `bytes` G.722 octets into 2*bytes 16 kHz PCM samples at `out`. Returns samples written.
  size_t Decode(const uint8_t* data, size_t bytes, int16_t* pcm_16khz);
  void Reset();

 private:
  struct State;
  alignas(8) unsigned char state_[512];
  State& state();
};

}  // namespace parley

// ITU-T G.722 encoder, 64 kbit/s mode (6-bit lower band + 2-bit upper band per 16 kHz sample pair).
#pragma once

#include <cstddef>
#include <cstdint>

namespace parley {

class G722Encoder {
 public:
  G722Encoder();
  // Encodes `samples` (even) 16 kHz PCM samples into samples/2 bytes at `out`. Returns bytes written.
  size_t Encode(const int16_t* pcm_16khz, size_t samples, uint8_t* out);
  void Reset();

 private:
  struct State;
  // Fixed-size state held inline (no heap), laid out by the implementation.
  alignas(8) unsigned char state_[512];
  State& state();
};

}  // namespace parley

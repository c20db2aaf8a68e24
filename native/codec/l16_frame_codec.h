// L16: linear PCM, big-endian on the wire (RFC 3551 section 4.5.11). Lost frames fade out the last
// good one: L16 legs run on loopback (Asterisk slin), where loss is rare.
#pragma once

#include <vector>

#include "codec/frame_decoder.h"
#include "codec/frame_encoder.h"

namespace parley {

class L16FrameEncoder final : public FrameEncoder {
 public:
  int Encode(const int16_t* pcm, size_t samples, uint8_t* out, size_t capacity) override;
};

class L16FrameDecoder final : public FrameDecoder {
 public:
  bool Decode(const uint8_t* payload, size_t length, int16_t* out, size_t samples) override;
  void Conceal(int16_t* out, size_t samples) override;

 private:
  std::vector<int16_t> last_ = std::vector<int16_t>(960, 0);
  float gain_ = 1.0f;
};

}  // namespace parley

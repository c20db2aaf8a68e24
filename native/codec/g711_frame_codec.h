#pragma once

#include "codec/frame_decoder.h"
#include "codec/frame_encoder.h"
#include "dsp/g711_plc.h"

namespace parley {

class G711FrameEncoder final : public FrameEncoder {
 public:
  explicit G711FrameEncoder(bool ulaw) : ulaw_(ulaw) {}
  int Encode(const int16_t* pcm, size_t samples, uint8_t* out, size_t capacity) override;

 private:
  bool ulaw_;
};

class G711FrameDecoder final : public FrameDecoder {
 public:
  explicit G711FrameDecoder(bool ulaw) : ulaw_(ulaw) {}
  bool Decode(const uint8_t* payload, size_t length, int16_t* out, size_t samples) override;
  void Conceal(int16_t* out, size_t samples) override;

 private:
  bool ulaw_;
  G711Plc plc_;
};

}  // namespace parley

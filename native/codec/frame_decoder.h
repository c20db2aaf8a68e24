// One RTP payload in, one frame of PCM16 at the codec's own rate out; or a concealment frame when
// the payload was lost.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "codec/codec_table.h"

namespace parley {

class FrameDecoder {
 public:
  virtual ~FrameDecoder() = default;
  // False when the payload cannot be decoded into exactly `samples` (the caller conceals).
  virtual bool Decode(const uint8_t* payload, size_t length, int16_t* out, size_t samples) = 0;
  // Recovers the frame lost just before `next_payload`; codecs without in-band FEC conceal.
  virtual bool DecodeFec(const uint8_t* next_payload, size_t length, int16_t* out, size_t samples) {
    (void)next_payload;
    (void)length;
    Conceal(out, samples);
    return true;
  }
  virtual void Conceal(int16_t* out, size_t samples) = 0;
};

std::unique_ptr<FrameDecoder> MakeFrameDecoder(CodecId codec);

}  // namespace parley

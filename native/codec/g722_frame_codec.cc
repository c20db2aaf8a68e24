#include "codec/g722_frame_codec.h"

namespace parley {

int G722FrameEncoder::Encode(const int16_t* pcm, size_t samples, uint8_t* out, size_t capacity) {
  if (samples % 2 != 0 || samples / 2 > capacity) return -1;
  return static_cast<int>(encoder_.Encode(pcm, samples, out));
}

bool G722FrameDecoder::Decode(const uint8_t* payload, size_t length, int16_t* out, size_t samples) {
  if (length * 2 != samples) return false;
  decoder_.Decode(payload, length, out);
  plc_.OnGoodFrame(out, samples);
  return true;
}

void G722FrameDecoder::Conceal(int16_t* out, size_t samples) { plc_.Conceal(out, samples); }

}  // namespace parley

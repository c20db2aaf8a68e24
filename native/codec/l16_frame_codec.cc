#include "codec/l16_frame_codec.h"

#include <algorithm>

namespace parley {

int L16FrameEncoder::Encode(const int16_t* pcm, size_t samples, uint8_t* out, size_t capacity) {
  if (samples * 2 > capacity) return -1;
  for (size_t i = 0; i < samples; ++i) {
    const auto value = static_cast<uint16_t>(pcm[i]);
    out[2 * i] = static_cast<uint8_t>(value >> 8);
    out[2 * i + 1] = static_cast<uint8_t>(value & 0xff);
  }
  return static_cast<int>(samples * 2);
}

bool L16FrameDecoder::Decode(const uint8_t* payload, size_t length, int16_t* out, size_t samples) {
  if (length != samples * 2) return false;
  for (size_t i = 0; i < samples; ++i) out[i] = static_cast<int16_t>((payload[2 * i] << 8) | payload[2 * i + 1]);
  std::copy(out, out + std::min(samples, last_.size()), last_.begin());
  gain_ = 1.0f;
  return true;
}

void L16FrameDecoder::Conceal(int16_t* out, size_t samples) {
  gain_ *= 0.5f;  // -6 dB per lost frame: silent after a few
  for (size_t i = 0; i < samples; ++i) out[i] = static_cast<int16_t>(i < last_.size() ? last_[i] * gain_ : 0);
}

}  // namespace parley

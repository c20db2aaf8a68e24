// One 20 ms frame of PCM16 (at the codec's PCM rate) in, one RTP payload out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "codec/codec_table.h"

namespace parley {

struct FrameEncoderOptions {
  int opus_bitrate_bps = 32000;
  int opus_complexity = 5;
  bool opus_fec = true;
};

class FrameEncoder {
 public:
  virtual ~FrameEncoder() = default;
  // Returns the payload size, or a negative value when the codec failed.
  virtual int Encode(const int16_t* pcm, size_t samples, uint8_t* out, size_t capacity) = 0;
};

// Throws std::invalid_argument when the codec refuses the options.
// `pcm_rate_hz` as for MakeFrameDecoder (frame_decoder.h).
std::unique_ptr<FrameEncoder> MakeFrameEncoder(CodecId codec, const FrameEncoderOptions& options, int pcm_rate_hz = 0);

}  // namespace parley

#pragma once

#include "codec/frame_decoder.h"
#include "codec/frame_encoder.h"
#include "codec/opus_decoder.h"
#include "codec/opus_encoder.h"

namespace parley {

class OpusPayloadEncoder final : public FrameEncoder {
 public:
  explicit OpusPayloadEncoder(const OpusEncoderOptions& options) : encoder_(options) {}
  int Encode(const int16_t* pcm, size_t samples, uint8_t* out, size_t capacity) override {
    return encoder_.Encode(pcm, samples, out, capacity);
  }

 private:
  OpusFrameEncoder encoder_;
};

class OpusPayloadDecoder final : public FrameDecoder {
 public:
  explicit OpusPayloadDecoder(int sample_rate_hz) : decoder_(sample_rate_hz) {}
  bool Decode(const uint8_t* payload, size_t length, int16_t* out, size_t samples) override {
    return decoder_.Decode(payload, length, out, samples) == static_cast<int>(samples);
  }
  bool DecodeFec(const uint8_t* next_payload, size_t length, int16_t* out, size_t samples) override {
    return decoder_.DecodeFec(next_payload, length, out, samples) == static_cast<int>(samples);
  }
  void Conceal(int16_t* out, size_t samples) override { decoder_.Conceal(out, samples); }

 private:
  OpusFrameDecoder decoder_;
};

}  // namespace parley

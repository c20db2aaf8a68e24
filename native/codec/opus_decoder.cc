#include "codec/opus_decoder.h"

#include <opus.h>

#include <stdexcept>
#include <string>

namespace parley {

OpusFrameDecoder::OpusFrameDecoder(int sample_rate_hz) {
  int error = OPUS_OK;
  decoder_ = opus_decoder_create(sample_rate_hz, 1, &error);
  if (error != OPUS_OK || decoder_ == nullptr) throw std::invalid_argument(std::string("opus decoder: ") + opus_strerror(error));
}

OpusFrameDecoder::~OpusFrameDecoder() { opus_decoder_destroy(decoder_); }

int OpusFrameDecoder::Decode(const uint8_t* payload, size_t length, int16_t* out, size_t frame_samples) {
  return opus_decode(decoder_, payload, static_cast<opus_int32>(length), out, static_cast<int>(frame_samples), 0);
}

int OpusFrameDecoder::DecodeFec(const uint8_t* next_payload, size_t length, int16_t* out, size_t frame_samples) {
  return opus_decode(decoder_, next_payload, static_cast<opus_int32>(length), out, static_cast<int>(frame_samples), 1);
}

int OpusFrameDecoder::Conceal(int16_t* out, size_t frame_samples) {
  return opus_decode(decoder_, nullptr, 0, out, static_cast<int>(frame_samples), 0);
}

}  // namespace parley

#include "codec/opus_decoder.h"

#include <opus.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

namespace parley {

OpusFrameDecoder::OpusFrameDecoder(int sample_rate_hz)
    : step_samples_(static_cast<size_t>(sample_rate_hz) / 100), step_(step_samples_) {
  int error = OPUS_OK;
  decoder_ = opus_decoder_create(sample_rate_hz, 1, &error);
  if (error != OPUS_OK || decoder_ == nullptr) throw std::invalid_argument(std::string("opus decoder: ") + opus_strerror(error));
}

OpusFrameDecoder::~OpusFrameDecoder() { opus_decoder_destroy(decoder_); }

int OpusFrameDecoder::Decode(const uint8_t* payload, size_t length, int16_t* out, size_t frame_samples) {
  step_left_ = 0;
  return opus_decode(decoder_, payload, static_cast<opus_int32>(length), out, static_cast<int>(frame_samples), 0);
}

int OpusFrameDecoder::DecodeFec(const uint8_t* next_payload, size_t length, int16_t* out, size_t frame_samples) {
  step_left_ = 0;
  return opus_decode(decoder_, next_payload, static_cast<opus_int32>(length), out, static_cast<int>(frame_samples), 1);
}

int OpusFrameDecoder::Conceal(int16_t* out, size_t frame_samples) {
  const size_t carried = std::min(step_left_, frame_samples);
  std::memcpy(out, step_.data() + step_samples_ - step_left_, carried * sizeof(int16_t));
  step_left_ -= carried;
  const size_t whole = (frame_samples - carried) / step_samples_ * step_samples_;
  if (whole > 0) {
    const int result = opus_decode(decoder_, nullptr, 0, out + carried, static_cast<int>(whole), 0);
    if (result < 0) return result;
  }
  const size_t rest = frame_samples - carried - whole;
  if (rest > 0) {
    const int result = opus_decode(decoder_, nullptr, 0, step_.data(), static_cast<int>(step_samples_), 0);
    if (result < 0) return result;
    std::memcpy(out + carried + whole, step_.data(), rest * sizeof(int16_t));
    step_left_ = step_samples_ - rest;
  }
  return static_cast<int>(frame_samples);
}

}  // namespace parley

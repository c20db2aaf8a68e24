// Converts one encoded 20 ms frame from one codec to another in one call: decode at the source
// codec's rate, resample when the rates differ, encode. Decoder, resampler and encoder keep their
// state between frames (ADPCM predictors, Opus's range coder, the resampler's filter history), so
// a Transcoder serves one stream; everything is allocated at construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "codec/codec_table.h"
#include "codec/frame_decoder.h"
#include "codec/frame_encoder.h"
#include "dsp/resampler.h"

namespace parley {

enum class TranscodeStatus {
  kOk,
  kBadFrameSize,   // not one 20 ms frame of the source codec
  kDecodeFailed,   // the source decoder refused the payload (corrupt Opus)
  kEncodeFailed,   // the target encoder failed, or `capacity` was too small
};

class Transcoder {
 public:
  static constexpr int kFrameMs = 20;
  // Enough for any target: 20 ms of L16 at 48 kHz is 1920 bytes, an Opus frame at most 1275.
  static constexpr size_t kMaxOutputBytes = 1920;
  static constexpr size_t kMaxOpusPayloadBytes = 1275;  // RFC 6716 section 3.4 (R2)

  // Throws std::invalid_argument when the encoder refuses the options.
  Transcoder(CodecId from, CodecId to, const FrameEncoderOptions& options);

  // Writes the converted frame to `out` and its size to `written`.
  TranscodeStatus Transcode(const uint8_t* frame, size_t length, uint8_t* out, size_t capacity, size_t* written);

  const CodecInfo& from() const { return from_; }
  const CodecInfo& to() const { return to_; }

 private:
  bool FrameSizeOk(size_t length) const;

  const CodecInfo& from_;
  const CodecInfo& to_;
  int to_rate_hz_;    // PCM rate of the encoder (CodecPcmRateHz)
  int from_rate_hz_;  // PCM rate of the decoder
  std::unique_ptr<FrameDecoder> decoder_;
  std::unique_ptr<FrameEncoder> encoder_;
  std::unique_ptr<Resampler> resampler_;  // null when both sides exchange PCM at one rate
  std::vector<int16_t> decoded_;
  std::vector<int16_t> resampled_;
};

}  // namespace parley

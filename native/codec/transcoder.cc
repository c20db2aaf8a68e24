#include "codec/transcoder.h"

namespace parley {
namespace {

size_t FrameSamples(int rate_hz) { return static_cast<size_t>(rate_hz / 1000 * Transcoder::kFrameMs); }

}  // namespace

// Opus codes at any of libopus's rates behind its 48 kHz RTP clock, so an Opus side takes the
// other side's rate and the frame needs no resampler of Parley's (libopus resamples internally).
Transcoder::Transcoder(CodecId from, CodecId to, const FrameEncoderOptions& options)
    : from_(CodecTable::Get(from)),
      to_(CodecTable::Get(to)),
      to_rate_hz_(CodecPcmRateHz(to, from_.sample_rate_hz)),
      from_rate_hz_(CodecPcmRateHz(from, to_rate_hz_)),
      decoder_(MakeFrameDecoder(from, from_rate_hz_)),
      encoder_(MakeFrameEncoder(to, options, to_rate_hz_)),
      decoded_(FrameSamples(from_rate_hz_)),
      resampled_(FrameSamples(to_rate_hz_)) {
  if (from_rate_hz_ != to_rate_hz_) resampler_ = std::make_unique<Resampler>(from_rate_hz_, to_rate_hz_);
}

bool Transcoder::FrameSizeOk(size_t length) const {
  if (from_.bytes_per_frame > 0) return length == static_cast<size_t>(from_.bytes_per_frame);
  return length > 0 && length <= kMaxOpusPayloadBytes;
}

TranscodeStatus Transcoder::Transcode(const uint8_t* frame, size_t length, uint8_t* out, size_t capacity,
                                      size_t* written) {
  *written = 0;
  if (!FrameSizeOk(length)) return TranscodeStatus::kBadFrameSize;
  if (!decoder_->Decode(frame, length, decoded_.data(), decoded_.size())) return TranscodeStatus::kDecodeFailed;
  const int16_t* pcm = decoded_.data();
  if (resampler_) {
    // Whole 10 ms multiples come out exact (resampler.h), so the frame keeps its 20 ms.
    resampler_->Process(decoded_.data(), decoded_.size(), resampled_.data());
    pcm = resampled_.data();
  }
  const size_t target_samples = resampled_.size();  // one frame at the target's rate, resampled or not
  const int bytes = encoder_->Encode(pcm, target_samples, out, capacity);
  if (bytes <= 0) return TranscodeStatus::kEncodeFailed;
  *written = static_cast<size_t>(bytes);
  return TranscodeStatus::kOk;
}

}  // namespace parley

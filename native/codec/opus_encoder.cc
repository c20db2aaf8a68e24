#include "codec/opus_encoder.h"

#include <opus.h>

#include <stdexcept>
#include <string>

namespace parley {

OpusFrameEncoder::OpusFrameEncoder(const OpusEncoderOptions& options) {
  int error = OPUS_OK;
  encoder_ = opus_encoder_create(options.sample_rate_hz, 1, OPUS_APPLICATION_VOIP, &error);
  if (error != OPUS_OK || encoder_ == nullptr) throw std::invalid_argument(std::string("opus encoder: ") + opus_strerror(error));
  const int settings[] = {
      opus_encoder_ctl(encoder_, OPUS_SET_BITRATE(options.bitrate_bps)),
      opus_encoder_ctl(encoder_, OPUS_SET_COMPLEXITY(options.complexity)),
      opus_encoder_ctl(encoder_, OPUS_SET_INBAND_FEC(options.in_band_fec ? 1 : 0)),
      opus_encoder_ctl(encoder_, OPUS_SET_PACKET_LOSS_PERC(options.expected_loss_pct)),
      opus_encoder_ctl(encoder_, OPUS_SET_DTX(0)),
      opus_encoder_ctl(encoder_, OPUS_SET_SIGNAL(options.force_voice ? OPUS_SIGNAL_VOICE : OPUS_AUTO)),
  };
  for (int result : settings) {
    if (result != OPUS_OK) {
      opus_encoder_destroy(encoder_);
      throw std::invalid_argument(std::string("opus encoder setting: ") + opus_strerror(result));
    }
  }
}

OpusFrameEncoder::~OpusFrameEncoder() { opus_encoder_destroy(encoder_); }

int OpusFrameEncoder::Encode(const int16_t* pcm, size_t samples, uint8_t* out, size_t capacity) {
  return opus_encode(encoder_, pcm, static_cast<int>(samples), out, static_cast<opus_int32>(capacity));
}

bool OpusFrameEncoder::SetBitrate(int bitrate_bps) { return opus_encoder_ctl(encoder_, OPUS_SET_BITRATE(bitrate_bps)) == OPUS_OK; }

}  // namespace parley

// libopus encoder for one voice channel, configured once; Encode is allocation-free.
#pragma once

#include <cstddef>
#include <cstdint>

struct OpusEncoder;

namespace parley {

struct OpusEncoderOptions {
  int sample_rate_hz = 48000;
  int bitrate_bps = 32000;
  int complexity = 5;
  bool in_band_fec = true;
  int expected_loss_pct = 10;  // FEC is only spent when the encoder expects loss
  bool force_voice = true;     // OPUS_SIGNAL_VOICE: keep SILK/hybrid for speech
};

class OpusFrameEncoder {
 public:
  // Throws std::invalid_argument when libopus refuses the settings.
  explicit OpusFrameEncoder(const OpusEncoderOptions& options);
  ~OpusFrameEncoder();
  OpusFrameEncoder(const OpusFrameEncoder&) = delete;
  OpusFrameEncoder& operator=(const OpusFrameEncoder&) = delete;

  // Returns the packet size in bytes, or a negative libopus error code.
  int Encode(const int16_t* pcm, size_t samples, uint8_t* out, size_t capacity);
  // False when libopus refuses the value (it clamps positive ones into its own range).
  bool SetBitrate(int bitrate_bps);

 private:
  ::OpusEncoder* encoder_;
};

}  // namespace parley

// libopus decoder for one voice channel, with its own loss concealment and in-band FEC recovery.
#pragma once

#include <cstddef>
#include <cstdint>

struct OpusDecoder;

namespace parley {

class OpusFrameDecoder {
 public:
  explicit OpusFrameDecoder(int sample_rate_hz);
  ~OpusFrameDecoder();
  OpusFrameDecoder(const OpusFrameDecoder&) = delete;
  OpusFrameDecoder& operator=(const OpusFrameDecoder&) = delete;

  // Each returns the samples written (= frame_samples) or a negative libopus error.
  int Decode(const uint8_t* payload, size_t length, int16_t* out, size_t frame_samples);
  // Recovers the frame BEFORE `next_payload` from its in-band FEC data (RFC 6716 section 2.1.7);
  // libopus falls back to PLC when the packet carries none.
  int DecodeFec(const uint8_t* next_payload, size_t length, int16_t* out, size_t frame_samples);
  // Packet-loss concealment: extrapolates from the decoder's state.
  int Conceal(int16_t* out, size_t frame_samples);

 private:
  ::OpusDecoder* decoder_;
};

}  // namespace parley

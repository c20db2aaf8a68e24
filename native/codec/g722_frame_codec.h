// G.722 frame codecs for RTP (RFC 3551 section 4.5.2: one octet per two 16 kHz samples, 160
// octets per 20 ms). Lost frames are concealed by the pitch-repetition PLC written for G.711,
// run on the 16 kHz output, where its 5-15 ms pitch window becomes 2.5-7.5 ms and its fade-out
// halves to 30 ms; the ADPCM state is left as it was and re-converges on the next good frames.
// (G.722 Appendix III/IV's full PLC, which also re-steers the sub-band predictors, is not done.)
#pragma once

#include "codec/frame_decoder.h"
#include "codec/frame_encoder.h"
#include "codec/g722_decoder.h"
#include "codec/g722_encoder.h"
#include "dsp/g711_plc.h"

namespace parley {

class G722FrameEncoder final : public FrameEncoder {
 public:
  int Encode(const int16_t* pcm, size_t samples, uint8_t* out, size_t capacity) override;

 private:
  G722Encoder encoder_;
};

class G722FrameDecoder final : public FrameDecoder {
 public:
  bool Decode(const uint8_t* payload, size_t length, int16_t* out, size_t samples) override;
  void Conceal(int16_t* out, size_t samples) override;

 private:
  G722Decoder decoder_;
  G711Plc plc_;
};

}  // namespace parley

// One RTP payload in, one frame of PCM16 at the codec's PCM rate out; or a concealment frame when
// the payload was lost.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "codec/codec_table.h"

namespace parley {

class FrameDecoder {
 public:
  virtual ~FrameDecoder() = default;
  // False when the payload cannot be decoded into exactly `samples` (the caller conceals).
  virtual bool Decode(const uint8_t* payload, size_t length, int16_t* out, size_t samples) = 0;
  // Recovers the frame lost just before `next_payload`; codecs without in-band FEC conceal.
  virtual bool DecodeFec(const uint8_t* next_payload, size_t length, int16_t* out, size_t samples) {
    (void)next_payload;
    (void)length;
    Conceal(out, samples);
    return true;
  }
  virtual void Conceal(int16_t* out, size_t samples) = 0;
};

// The PCM rate a leg exchanges with `codec` when it would like `wanted_rate_hz`. Opus codes at
// 8, 12, 16, 24 or 48 kHz behind its fixed 48 kHz RTP clock (RFC 7587 section 4.1), and libopus
// resamples to its internal rate anyway, so it takes the wanted rate and the leg needs no
// resampler of its own; every other codec has one rate, its table row's.
int CodecPcmRateHz(CodecId codec, int wanted_rate_hz);

// The PCM rates libopus codes at directly (RFC 7587 keeps the RTP clock at 48 kHz for all).
bool IsOpusPcmRate(int rate_hz);

// `pcm_rate_hz` 0 means the codec's own sample rate; otherwise it must be CodecPcmRateHz's answer.
std::unique_ptr<FrameDecoder> MakeFrameDecoder(CodecId codec, int pcm_rate_hz = 0);

}  // namespace parley

// ITU-T G.722 encoder, 64 kbit/s mode: 16 kHz PCM16 in, one octet per two samples out. A 24-tap
// transmit QMF splits the signal into a 0-4 kHz and a 4-8 kHz band at 8 kHz each; the lower band
// is coded with 6-bit ADPCM, the higher with 2-bit ADPCM; each octet carries IH in its two most
// significant bits and IL in the other six. State carries across calls, so a stream
// can be fed in any even-sized pieces; no allocation.
#pragma once

#include <cstddef>
#include <cstdint>

#include "codec/g722_sub_band.h"

namespace parley {

class G722Encoder {
 public:
  G722Encoder() = default;
  void Reset();

  // `samples` must be even; writes samples / 2 octets and returns that count.
  size_t Encode(const int16_t* pcm, size_t samples, uint8_t* out);

 private:
  uint8_t EncodePair(int16_t older, int16_t newer);

  // Transmit QMF input split by phase, oldest first: the newer and the older sample of each pair.
  int16_t newer_[12] = {0};
  int16_t older_[12] = {0};
  G722SubBand lower_{G722Band::kLower};
  G722SubBand higher_{G722Band::kHigher};
};

}  // namespace parley

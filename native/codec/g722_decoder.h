// ITU-T G.722 decoder, 64 kbit/s mode: one octet in, two 16 kHz PCM16 samples out. The lower
// band is reconstructed with the 6-bit inverse quantiser, the higher with the 2-bit one, and the
// 24-tap receive QMF merges them. State carries across calls; no allocation.
#pragma once

#include <cstddef>
#include <cstdint>

#include "codec/g722_sub_band.h"

namespace parley {

class G722Decoder {
 public:
  G722Decoder() = default;
  void Reset();

  // Writes 2 * octets samples and returns that count.
  size_t Decode(const uint8_t* codes, size_t octets, int16_t* out);

 private:
  // Receive QMF input, oldest first: xd = rL - rH and xs = rL + rH (each fits 16 bits, since
  // the reconstructed sub-band signals are limited to 15).
  int16_t difference_[12] = {0};
  int16_t sum_[12] = {0};
  G722SubBand lower_{G722Band::kLower};
  G722SubBand higher_{G722Band::kHigher};
};

}  // namespace parley

#include "codec/g722_decoder.h"

#include <algorithm>
#include <cstring>
#include <iterator>

#include "codec/g722_tables.h"

namespace parley {
namespace {

// The reconstructed sub-band signals are limited to the 15-bit range ("LIMIT").
int32_t Limit15(int32_t value) { return std::clamp<int32_t>(value, -16384, 16383); }

int16_t Saturate16(int32_t value) { return static_cast<int16_t>(g722::Saturate(value)); }

}  // namespace

void G722Decoder::Reset() {
  std::fill(std::begin(difference_), std::end(difference_), 0);
  std::fill(std::begin(sum_), std::end(sum_), 0);
  lower_.Reset();
  higher_.Reset();
}

size_t G722Decoder::Decode(const uint8_t* codes, size_t octets, int16_t* out) {
  for (size_t n = 0; n < octets; ++n) {
    const int lower_code = codes[n] & 0x3f;
    const int higher_code = codes[n] >> 6;
    // INVQBL (6-bit, the full 64 kbit/s resolution) for the output; the adaptation inside
    // Update uses the 4-bit INVQAL like the encoder's.
    const int32_t lower = Limit15(lower_.estimate() + ((lower_.step() * g722::kLowInverse6[lower_code]) >> 15));
    lower_.Update(lower_code);
    const int32_t higher = Limit15(higher_.estimate() + ((higher_.step() * g722::kHighInverse[higher_code]) >> 15));
    higher_.Update(higher_code);

    // Receive QMF: xd = rL - rH and xs = rL + rH feed the even and odd phases of the
    // filter; the first output sample is sum h(2i) xd(j - i), the second sum h(2i + 1) xs(j - i).
    // The shift by 11 takes the 15-bit sub-band scale and 2^13 coefficients back to 16-bit PCM.
    std::memmove(difference_, difference_ + 1, 11 * sizeof(int16_t));
    std::memmove(sum_, sum_ + 1, 11 * sizeof(int16_t));
    difference_[11] = static_cast<int16_t>(lower - higher);
    sum_[11] = static_cast<int16_t>(lower + higher);
    const int32_t first = g722::QmfDot(g722::kQmfOdd, difference_);
    const int32_t second = g722::QmfDot(g722::kQmfEven, sum_);
    out[2 * n] = Saturate16(first >> 11);
    out[2 * n + 1] = Saturate16(second >> 11);
  }
  return octets * 2;
}

}  // namespace parley

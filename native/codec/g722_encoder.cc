#include "codec/g722_encoder.h"

#include <algorithm>
#include <cstring>
#include <iterator>

#include "codec/g722_tables.h"

namespace parley {
namespace {

using g722::Saturate;

// The one's-complement magnitude the quantisers compare (QUANTL / QUANTH: -EL - 1 for EL < 0).
int32_t Magnitude(int32_t difference) { return difference >= 0 ? difference : -(difference + 1); }

// QUANTL: the 6-bit code of the lower band's prediction error, by the interval its magnitude
// falls in on a scale of decision levels times the step size.
int QuantizeLower(int32_t error, int32_t step) {
  const int32_t magnitude = Magnitude(error);
  int interval = 1;
  while (interval < 30 && magnitude >= ((g722::kLowDecisionLevels[interval] * step) >> 12)) ++interval;
  return error < 0 ? g722::kLowCodeNegative[interval] : g722::kLowCodePositive[interval];
}

// QUANTH: two intervals per sign.
int QuantizeHigher(int32_t error, int32_t step) {
  const int interval = Magnitude(error) >= ((g722::kHighDecisionLevel * step) >> 12) ? 2 : 1;
  return error < 0 ? g722::kHighCodeNegative[interval] : g722::kHighCodePositive[interval];
}

}  // namespace

void G722Encoder::Reset() {
  std::fill(std::begin(newer_), std::end(newer_), 0);
  std::fill(std::begin(older_), std::end(older_), 0);
  lower_.Reset();
  higher_.Reset();
}

size_t G722Encoder::Encode(const int16_t* pcm, size_t samples, uint8_t* out) {
  const size_t octets = samples / 2;
  for (size_t i = 0; i < octets; ++i) out[i] = EncodePair(pcm[2 * i], pcm[2 * i + 1]);
  return octets;
}

uint8_t G722Encoder::EncodePair(int16_t older, int16_t newer) {
  // Transmit QMF: xA = sum h(2i) x(j - 2i), xB = sum h(2i + 1) x(j - 2i - 1), with
  // x(j) the newer sample; the lower band is xA + xB, the higher xA - xB. The coefficients carry
  // 2^13 and the 16-bit input 2^2 over the Recommendation's 14-bit samples; the shift by 14 leaves
  // the sub-band signals at the Recommendation's 15-bit scale.
  std::memmove(newer_, newer_ + 1, 11 * sizeof(int16_t));
  std::memmove(older_, older_ + 1, 11 * sizeof(int16_t));
  newer_[11] = newer;
  older_[11] = older;
  const int32_t even = g722::QmfDot(g722::kQmfOdd, newer_);  // xA (see kQmfEven / kQmfOdd)
  const int32_t odd = g722::QmfDot(g722::kQmfEven, older_);  // xB
  const int32_t lower_signal = (even + odd) >> 14;
  const int32_t higher_signal = (even - odd) >> 14;

  const int lower_code = QuantizeLower(Saturate(lower_signal - lower_.estimate()), lower_.step());
  lower_.Update(lower_code);
  const int higher_code = QuantizeHigher(Saturate(higher_signal - higher_.estimate()), higher_.step());
  higher_.Update(higher_code);
  return static_cast<uint8_t>((higher_code << 6) | lower_code);
}

}  // namespace parley

// Constants of ITU-T G.722 (09/2012) for the 64 kbit/s mode: the 24-tap QMF pair and the tables of
// the sub-band ADPCM quantisers, inverse quantisers and scale-factor adaptation. Values are the
// Recommendation's fixed-point words; comments name the block of the Recommendation that uses them.
#pragma once

#include <algorithm>
#include <cstdint>

namespace parley::g722 {

// The Recommendation computes on 16-bit words; its "LIMIT" blocks saturate.
inline int32_t Saturate(int32_t value) { return std::clamp<int32_t>(value, -32768, 32767); }

// QMF coefficients h(0)..h(23), scaled by 2^13, split
// into the even taps h(0), h(2) .. h(22) and the odd taps h(1), h(3) .. h(23). The filter is
// symmetric (h(i) == h(23 - i)), so applied to a history held oldest first, the odd taps in this
// order weigh the samples of the even phase and the even taps those of the odd phase.
extern const int16_t kQmfEven[12];
extern const int16_t kQmfOdd[12];

// One phase of the QMF: 12 products summed in 32 bits (a shape compilers turn into pmaddwd).
inline int32_t QmfDot(const int16_t* taps, const int16_t* history) {
  int32_t sum = 0;
  for (int i = 0; i < 12; ++i) sum += static_cast<int32_t>(taps[i]) * history[i];
  return sum;
}

// QUANTL: decision levels of the 6-bit lower sub-band quantiser (in units of DETL / 2^12), and
// the codes for the intervals below each level with EL >= 0 (ILP) and EL < 0 (ILN).
extern const int32_t kLowDecisionLevels[30];
extern const uint8_t kLowCodePositive[31];
extern const uint8_t kLowCodeNegative[31];

// INVQAL / INVQBL: the 4-bit inverse quantiser (predictor feedback, code IL >> 2) and the 6-bit
// one (lower sub-band reconstruction in the 64 kbit/s decoder), in units of DETL / 2^15.
extern const int32_t kLowInverse4[16];
extern const int32_t kLowInverse6[64];

// LOGSCL: the 4-bit code's magnitude index and its log-step weight.
extern const uint8_t kLowWeightIndex[16];
extern const int32_t kLowWeights[8];

// QUANTH / INVQAH / LOGSCH: the 2-bit higher sub-band quantiser.
inline constexpr int32_t kHighDecisionLevel = 564;
extern const uint8_t kHighCodePositive[3];
extern const uint8_t kHighCodeNegative[3];
extern const int32_t kHighInverse[4];
extern const uint8_t kHighWeightIndex[4];
extern const int32_t kHighWeights[3];

// SCALEL / SCALEH: 2^(i/32) scaled by 2^11, the mantissa of the log-to-linear step conversion.
extern const int32_t kLogToLinear[32];

}  // namespace parley::g722

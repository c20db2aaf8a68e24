#include "codec/g722_sub_band.h"

#include <algorithm>
#include <iterator>

#include "codec/g722_tables.h"

namespace parley {
namespace {

using g722::Saturate;

// The sign bit of a 16-bit word, as the UPPOL and UPZERO blocks compare it (zero is positive).
bool Negative(int32_t value) { return value < 0; }

}  // namespace

G722SubBand::G722SubBand(G722Band band) : band_(band) { Reset(); }

void G722SubBand::Reset() {
  log_step_ = 0;
  estimate_ = 0;
  zero_estimate_ = 0;
  std::fill(std::begin(difference_), std::end(difference_), 0);
  std::fill(std::begin(zero_coeff_), std::end(zero_coeff_), 0);
  std::fill(std::begin(partial_), std::end(partial_), 0);
  std::fill(std::begin(reconstructed_), std::end(reconstructed_), 0);
  std::fill(std::begin(pole_coeff_), std::end(pole_coeff_), 0);
  ComputeStep();  // DETL starts at 32 and DETH at 8 (the Recommendation's reset values)
}

void G722SubBand::Update(int code) {
  int32_t difference;
  int32_t weight;
  if (band_ == G722Band::kLower) {
    const int code4 = code >> 2;  // INVQAL and LOGSCL see the 4-bit truncated code
    difference = (step_ * g722::kLowInverse4[code4]) >> 15;
    weight = g722::kLowWeights[g722::kLowWeightIndex[code4]];
  } else {
    difference = (step_ * g722::kHighInverse[code]) >> 15;
    weight = g722::kHighWeights[g722::kHighWeightIndex[code]];
  }
  UpdateStep(weight);
  UpdatePredictor(difference);
}

// LOGSCL / LOGSCH: NB = NB * (127/128) + W, kept within [0, 18432] (lower) or [0, 22528] (higher).
void G722SubBand::UpdateStep(int32_t log_weight) {
  const int32_t max_log_step = band_ == G722Band::kLower ? 18432 : 22528;
  log_step_ = std::clamp<int32_t>(((log_step_ * 127) >> 7) + log_weight, 0, max_log_step);
  ComputeStep();
}

// SCALEL / SCALEH: DET = 2^(NB / 2^11) in fixed point, from a 32-entry mantissa table and a shift.
void G722SubBand::ComputeStep() {
  const int32_t mantissa = g722::kLogToLinear[(log_step_ >> 6) & 31];
  const int32_t shift = (band_ == G722Band::kLower ? 8 : 10) - (log_step_ >> 11);
  step_ = (shift < 0 ? mantissa << -shift : mantissa >> shift) << 2;
}

void G722SubBand::UpdatePredictor(int32_t difference) {
  // RECONS and PARREC.
  difference_[0] = difference;
  reconstructed_[0] = Saturate(estimate_ + difference);
  partial_[0] = Saturate(zero_estimate_ + difference);

  // UPPOL2: second pole coefficient, leaky, pushed by sign agreements of the partial signal.
  const bool sign0 = Negative(partial_[0]);
  const bool sign1 = Negative(partial_[1]);
  const bool sign2 = Negative(partial_[2]);
  const int32_t a1_times_4 = Saturate(pole_coeff_[1] * 4);
  const int32_t pull = std::min<int32_t>(sign0 == sign1 ? -a1_times_4 : a1_times_4, 32767);
  int32_t a2 = (pull >> 7) + (sign0 == sign2 ? 128 : -128) + ((pole_coeff_[2] * 127) >> 7);
  a2 = std::clamp<int32_t>(a2, -12288, 12288);

  // UPPOL1: first pole coefficient, kept inside the stability triangle |A1| <= 1 - 2^-4 - A2.
  int32_t a1 = Saturate((sign0 == sign1 ? 192 : -192) + ((pole_coeff_[1] * 255) >> 8));
  const int32_t a1_limit = Saturate(15360 - a2);
  a1 = std::clamp(a1, -a1_limit, a1_limit);

  // UPZERO: sign-sign LMS on the six zero coefficients, with leakage; no push when DLT is zero.
  const int32_t push = difference == 0 ? 0 : 128;
  const bool sign_now = Negative(difference);
  for (int i = 1; i <= 6; ++i) {
    const int32_t step = Negative(difference_[i]) == sign_now ? push : -push;
    zero_coeff_[i] = Saturate(step + ((zero_coeff_[i] * 255) >> 8));
  }

  // DELAYA.
  for (int i = 6; i >= 1; --i) difference_[i] = difference_[i - 1];
  for (int i = 2; i >= 1; --i) {
    reconstructed_[i] = reconstructed_[i - 1];
    partial_[i] = partial_[i - 1];
  }
  pole_coeff_[1] = a1;
  pole_coeff_[2] = a2;

  // FILTEP, FILTEZ and PREDIC: the next sample's estimate from the updated coefficients.
  int32_t pole_estimate = 0;
  for (int i = 1; i <= 2; ++i) pole_estimate += (pole_coeff_[i] * Saturate(reconstructed_[i] * 2)) >> 15;
  pole_estimate = Saturate(pole_estimate);
  int32_t zero_estimate = 0;
  for (int i = 1; i <= 6; ++i) zero_estimate += (zero_coeff_[i] * Saturate(difference_[i] * 2)) >> 15;
  zero_estimate_ = Saturate(zero_estimate);
  estimate_ = Saturate(pole_estimate + zero_estimate_);
}

}  // namespace parley

// The adaptive state of one G.722 sub-band (ITU-T G.722), shared by the encoder and the decoder:
// both run the same adaptation on the same codes, which is what keeps
// them in step. It holds the log step size (LOGSCL + SCALEL for the lower band, LOGSCH + SCALEH
// for the higher one) and the pole-zero predictor (the Recommendation's blocks RECONS, PARREC,
// UPPOL1, UPPOL2, UPZERO, DELAYA, FILTEP, FILTEZ, PREDIC): two poles, six zeros.
#pragma once

#include <cstdint>

namespace parley {

enum class G722Band { kLower, kHigher };

class G722SubBand {
 public:
  explicit G722SubBand(G722Band band);
  void Reset();

  // SL / SH: the predicted signal for the next sample.
  int32_t estimate() const { return estimate_; }
  // DETL / DETH: the quantiser step size for the next sample.
  int32_t step() const { return step_; }

  // Adapts to one transmitted code: the 6-bit IL of the lower band (its 4-bit truncation IL >> 2
  // drives the adaptation, so the 48 and 56 kbit/s modes stay decodable) or the 2-bit IH.
  void Update(int code);

 private:
  void UpdateStep(int32_t log_weight);
  void ComputeStep();
  void UpdatePredictor(int32_t difference);

  G722Band band_;
  int32_t log_step_ = 0;  // NBL / NBH
  int32_t step_ = 0;
  int32_t estimate_ = 0;  // S = SP + SZ
  int32_t zero_estimate_ = 0;  // SZ
  // Index 0 is the current sample, 1.. the delayed ones (DELAYA).
  int32_t difference_[7] = {0};      // DLT: quantised differences
  int32_t zero_coeff_[7] = {0};      // BL1..BL6 (index 0 unused)
  int32_t partial_[3] = {0};         // PLT: partially reconstructed signal
  int32_t reconstructed_[3] = {0};   // RLT
  int32_t pole_coeff_[3] = {0};      // AL1, AL2 (index 0 unused)
};

}  // namespace parley

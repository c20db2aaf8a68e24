// Linear prediction of a short piece of audio: the autocorrelation method over a Hann-windowed
// 20 ms at 8 kHz (its predictor is minimum-phase, so a free-running prediction or an all-pole
// filter driven by noise stays stable), Levinson-Durbin for the coefficients. Shared by the G.711
// concealment (the history's continuation) and the comfort noise that a long concealment fades
// into (the spectral envelope of the speech before the loss).
#pragma once

#include <cstddef>
#include <cstdint>

namespace parley {

class Lpc {
 public:
  static constexpr size_t kWindowSamples = 160;
  static constexpr size_t kMaxOrder = 12;

  // Fits `order` (≤ kMaxOrder) coefficients to the kWindowSamples at `recent`: predictor[k] is
  // the weight of the sample k + 1 back. Returns the prediction error's power over the signal's
  // (in (0, 1]), or 0 when the window is silent (the predictor is then all zeros).
  static double Fit(const int16_t* recent, size_t order, double* predictor);
};

}  // namespace parley

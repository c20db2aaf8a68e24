// Residual echo suppression after the linear echo canceller: what the adaptive filter leaves
// (misadjustment, a nonlinear or coded echo path, a tail longer than the filter) is removed by a
// per-bin gain, with the residual's power predicted from the filter's own echo estimate times the
// leakage the canceller measured (Valin 2007: the fraction of the echo estimate still in the
// error). Where the caller speaks, the error is much louder than the predicted residual and the
// gain stays near 1, so double talk passes. What no per-bin prediction sees (a loudspeaker's
// distortion, in bins where the linear echo is weak) is taken by a broadband rule: while the
// error is a small share of the capture, the block is the echo's. No bin is suppressed below the
// line's own noise floor, and comfort noise tops up bins left under it, so the output keeps a
// steady hiss instead of a floor the VAD would find speech onsets in.
//
// The gains are applied by overlap-save over the last two blocks, so the output is not delayed.
// Deterministic; no allocation after construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "dsp/fft.h"

namespace parley {

class ResidualEchoSuppressor {
 public:
  ResidualEchoSuppressor(size_t block_samples, size_t fft_size);

  // `error_re`/`error_im` are the spectrum of one block of the linear canceller's output placed
  // at the end of an otherwise zero FFT frame (fft_size/2 + 1 bins, as the canceller computes it
  // anyway), `echo_re`/`echo_im` the same of the canceller's echo estimate (the capture is their
  // sum); `error_power` and `residual_power` (the same block's periodograms) say how much of the
  // error is residual echo. `path_unsure`: the echo path may just have stepped
  // (EchoStepDetector::suspects_step), so a loud error is not taken for the caller's onset.
  // Writes the same block, suppressed, to `output`.
  void Process(const float* error_re, const float* error_im, const float* echo_re, const float* echo_im,
               const float* error_power, const float* residual_power, bool path_unsure, float* output);
  // One block whose linear filter failed (its error louder than the capture: junk it learnt from
  // a click, or a path it lost): the capture (error plus echo estimate, spectra as for Process)
  // is suppressed instead, each bin to at most the line's noise, as such a block holds the echo
  // as it came back.
  void SuppressCapture(const float* error_re, const float* error_im, const float* echo_re, const float* echo_im,
                       float* output);
  // One block with unit gains (no echo to suppress): the input itself, with no FFT.
  void PassThrough(const float* error, float* output);
  // The same, for a block whose periodogram (as for Process) is at hand: the line's noise floor
  // follows it.
  void PassThrough(const float* error, const float* error_power, float* output);
  // Gain floor in dB (negative); 0 turns suppression off (output is then the delayed input).
  void set_floor_db(float floor_db);

 private:
  size_t block_;
  float frame_over_block_;  // FFT size over block size
  size_t bins_;
  Fft fft_;
  // The previous block's spectrum as given, and the phase ramps that move a block from the end of
  // the FFT frame to its first and second block: shifting in frequency costs a multiply per bin,
  // a forward FFT of the two blocks costs more.
  std::vector<float> previous_re_;
  std::vector<float> previous_im_;
  std::vector<float> to_first_re_;
  std::vector<float> to_first_im_;
  std::vector<float> to_second_re_;
  std::vector<float> to_second_im_;
  std::vector<float> capture_re_;  // SuppressCapture's input
  std::vector<float> capture_im_;
  std::vector<float> spectrum_re_;
  std::vector<float> spectrum_im_;
  std::vector<float> error_smoothed_;
  std::vector<float> residual_smoothed_;
  std::vector<float> capture_smoothed_;
  // The error's share of the capture, broadband and smoothed, and the gain it allows (see
  // kShareLow in the .cc).
  float echo_share_ = 1.0f;
  float broadband_ = 1.0f;
  std::vector<float> noise_;  // the line's noise floor per bin
  std::vector<float> gain_;
  std::vector<float> fill_;  // comfort noise power per bin, this block
  uint32_t noise_seed_ = 0;  // the comfort noise's draw counter
  float floor_ = 0.01f;
  bool enabled_ = true;
};

}  // namespace parley

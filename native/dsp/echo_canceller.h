// Echo cancellation for one call leg: the audio Parley sent on the leg is the reference, the audio
// that came back is cleaned of its echo before VAD, barge-in and the bot see it.
//
// Three stages:
//  1. EchoDelayEstimator finds the bulk delay of the echo path (up to max_delay_ms) and follows
//     it when it drifts, steps or jumps; the adaptive filter's window is placed just before it.
//     When a converged filter's path steps by a frame or a few (a jitter buffer), the window
//     moves and the response the filter kept while it worked moves with it: no relearning.
//     EchoStepDetector finds such a step within a few blocks, to the sample, from the filter's
//     own echo estimate matching the capture a step later or earlier: the delay moves at once,
//     the window and the response (by the samples the window's whole blocks leave) in the next
//     block.
//  2. A multidelay block frequency-domain adaptive filter (MDF: Soo & Pang 1990; the
//     partitioned-block FDAF of Speex) models tail_ms of echo response after that delay, in
//     blocks of 10 ms with one partition per block. On a sliding path (clocks apart)
//     EchoDriftTracker measures how fast the response's direct path moves, and the canceller
//     delays the whole response at that rate (a phase ramp per bin) instead of relearning it.
//     Its learning rate is set per bin the way Valin derives the optimal NLMS step in the
//     presence of near-end signal ("On adjusting the learning rate in frequency domain echo
//     cancellation with double-talk", IEEE TASLP 2007):
//     μ(k) = min(μ_max, η·|Ŷ(k)|² / |E(k)|²), where Ŷ is the filter's echo estimate, E the
//     error and η the leakage (the part of the echo estimate still left in the error), estimated
//     by regressing the error's power fluctuations on the echo estimate's. When the caller talks,
//     |E|² grows with speech the filter cannot explain and μ falls by itself: no double-talk
//     detector to tune, and no freeze when the path changes (then η rises). The gradient
//     constraint is applied to one partition per block in turn (the alternating unconstrained
//     variant), which keeps the filter's cost at seven FFTs per block instead of 2 + 2 per
//     partition, and five in a block that learns nothing (the bot's pauses).
//  3. ResidualEchoSuppressor removes what the linear filter leaves, per bin: predicted from the
//     leakage, and from the part of the error that stays coherent with the echo estimate (a path
//     sliding faster than the filter learns).
// A blown-up filter (output louder than the input for a while) is reset rather than trusted.
//
// Works at the leg's analysis rate (8 or 16 kHz) on 20 ms frames; time is the sample count, so
// it is deterministic. No allocation after construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "dsp/echo_delay_estimator.h"
#include "dsp/echo_drift_tracker.h"
#include "dsp/echo_step_detector.h"
#include "dsp/fft.h"
#include "dsp/residual_echo_suppressor.h"

namespace parley {

struct EchoCancellerConfig {
  int sample_rate_hz = 8000;  // 8000 or 16000
  int max_delay_ms = 300;     // longest bulk echo delay followed
  int tail_ms = 120;          // echo response modelled after the bulk delay
  // Residual echo suppression gain floor, dB (0 turns residual suppression off).
  float suppression_floor_db = -40.0f;
};

struct EchoCancellerStats {
  float delay_ms = -1.0f;        // adopted bulk delay (-1: none yet)
  float delay_confidence = 0.0f; // envelope correlation at that delay (0..1): is there an echo at all
  // Capture over the linear filter's error, smoothed, while the reference plays, leaving out the
  // blocks of double talk (an error well above the residual echo predicted in it).
  float erle_db = 0.0f;
  float leakage = 1.0f;          // η: residual echo over echo estimate
  bool converged = false;

  // The last frame's linear filter error and the residual echo predicted in it (the residual
  // suppressor's input), summed over its bins: what exceeds the prediction is the caller's
  // (barge-in's double-talk test). Equal in a frame a block of which passed the capture as it came.
  float frame_error_power = 0.0f;
  float frame_residual_power = 0.0f;

  uint32_t resets = 0;           // divergence resets
  uint64_t bypassed_frames = 0;  // frames with no reference in the filter's reach (not processed)
};

class EchoCanceller {
 public:
  // std::invalid_argument on an unsupported rate or out-of-range delay/tail.
  explicit EchoCanceller(const EchoCancellerConfig& config);

  size_t frame_samples() const { return frame_; }
  // Samples the output lags the capture: none (the suppressor filters by overlap-save).
  size_t latency_samples() const { return 0; }
  // One 20 ms frame: `sent` is the audio sent on the leg in the same frame period (nullptr for
  // silence), `capture` the audio received; `output` gets the cleaned capture (may alias capture).
  void Process(const int16_t* capture, const int16_t* sent, int16_t* output);
  const EchoCancellerStats& stats() const { return stats_; }

 private:
  void ProcessBlock(const float* capture, float* output);
  void WriteOutput(int16_t* output) const;
  // The filter window to `start_blocks`, the echo path having moved by `path_moved_blocks`;
  // `stepped`: the step detector found the move, the kept filter is restored.
  void PlaceWindow(int start_blocks, int path_moved_blocks, bool stepped);
  // The whole response moved by `samples` (a step's part the window's move left), in the time
  // domain: once a step, and by whole samples, which a phase ramp would wrap round a partition.
  void ShiftResponse(int samples);
  void ComputeReferenceSpectrum(size_t partition, int start_blocks);
  void Reset();
  // residual_power_ from this block's error and echo estimate spectra; `flat` is the part spread
  // flat over the band.
  void PredictResidual(float flat);
  // The constraint: partition `p`'s response cut back to one block.
  void Constrain(size_t p);
  // Every partition's response delayed by `samples` (fractional): a phase ramp per bin.
  void DelayResponse(float samples);

  EchoCancellerConfig config_;
  size_t frame_;
  size_t block_;
  size_t fft_size_;
  size_t bins_;
  size_t partitions_;
  int max_start_blocks_;
  Fft fft_;
  EchoDelayEstimator delay_estimator_;
  EchoStepDetector step_detector_;
  EchoDriftTracker drift_tracker_;
  float drift_pending_ = 0.0f;  // delay owed to the response, applied once it is kDriftApplySamples
  ResidualEchoSuppressor suppressor_;

  // Reference history (DC-blocked), a ring long enough for the longest delay plus the filter.
  std::vector<float> reference_ring_;
  size_t reference_head_ = 0;  // index of the next sample to write
  int start_blocks_ = 0;       // filter window start, in blocks before now

  // Partition spectra, real and imaginary parts apart so the per-bin loops vectorise: the
  // reference's for partition p (p blocks older than the newest) sit in a ring rotated each
  // block, the filter's in partition order.
  std::vector<float> reference_re_;
  std::vector<float> reference_im_;
  size_t spectra_head_ = 0;
  std::vector<float> weights_re_;
  std::vector<float> weights_im_;
  // The last filter that worked well (see kKeepErleDb), in partition order.
  std::vector<float> kept_re_;
  std::vector<float> kept_im_;
  bool has_kept_ = false;
  int blocks_since_kept_ = 0;
  std::vector<float> sum_re_;  // Σ_p X_p·W_p
  std::vector<float> sum_im_;
  std::vector<float> error_re_;
  std::vector<float> error_im_;
  std::vector<float> reference_power_;  // smoothed |X(k)|² of the newest partition

  std::vector<float> window_;  // time-domain scratch, fft_size
  std::vector<float> response_;  // the whole response's taps (ShiftResponse), partitions * block
  int step_samples_ = 0;  // a step found in this block, for the next to follow
  std::vector<float> echo_estimate_;
  std::vector<float> error_;
  std::vector<float> error_power_;
  std::vector<float> echo_power_;
  std::vector<float> residual_power_;
  std::vector<float> step_;
  std::vector<float> cross_re_;  // smoothed E·conj(Ŷ) per bin, for the coherent residual
  std::vector<float> cross_im_;
  std::vector<float> echo_smoothed_;  // smoothed |Ŷ|² per bin
  std::vector<float> error_smoothed_;  // smoothed |E|² per bin
  std::vector<float> error_mean_;  // per-bin means for the leakage regression
  std::vector<float> echo_mean_;
  float leak_cross_ = 0.0f;
  float leak_echo_ = 0.0f;
  float leakage_ = 0.25f;
  float adapted_ = 0.0f;  // accumulated learning; converged once above the partition count
  size_t constrain_next_ = 0;

  std::vector<float> capture_block_;
  std::vector<float> frame_out_;
  float capture_dc_ = 0.0f;
  float capture_dc_in_ = 0.0f;
  float reference_dc_ = 0.0f;
  float reference_dc_in_ = 0.0f;
  float capture_energy_ = 0.0f;  // smoothed, for ERLE and divergence
  float output_energy_ = 0.0f;
  float erle_db_ = 0.0f;  // capture_energy_ over output_energy_: every block's
  // The same energies over the blocks without double talk, for stats_.erle_db; double_talk_ is
  // the previous block's verdict (its residual prediction comes after its ERLE). The blocks in a
  // row, up to the previous one, whose error stood kLeakageHoldOverResidual over the prediction:
  // the leakage regression's verdict (the prediction comes after η).
  float erle_capture_ = 0.0f;
  float erle_output_ = 0.0f;
  bool double_talk_ = false;
  int over_residual_blocks_ = 0;
  int diverging_blocks_ = 0;
  // Sent audio silent (or absent) for this long; a call starts as if nothing had ever been sent.
  size_t silent_reference_samples_ = SIZE_MAX / 2;
  EchoCancellerStats stats_;
};

}  // namespace parley

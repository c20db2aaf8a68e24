// Steps of a converged echo path, to the sample, caught within a few blocks of happening.
//
// A jitter buffer absorbing clock drift inserts or drops a frame now and then, and the echo's
// delay steps with it. The delay estimator's envelope covariances need a few hundred ms to see
// a step, and all that time the echo passes uncancelled: on the echo bench's stepping trace
// about half a second of 0-10 dB ERLE per step, which alone held the steady figure near 20 dB.
// But a pure delay step only moves the echo in time: the filter's own echo estimate, moved by
// the step, still matches the capture sample for sample. So the capture is compared with the
// recent echo estimates up to max_step_blocks earlier (the echo came later) or later (it came
// earlier: the capture waits that many samples to be compared), at every lag in samples, and a
// lag whose estimate leaves far less error than the current one, for a few blocks in a row, is
// the step. Every lag, not whole blocks only: a playout stretched or cut by part of a frame (the
// moving-echo trace's 2, 6 and 16 ms) moved the echo by no whole block, and the filter then
// relearnt its response for seconds. The caller talking can't fake one: their speech is in no
// estimate, so it raises every lag's error alike.
//
// Time-domain sums over 2 * max_step_blocks * block lags of a block each, only in blocks whose
// error is loud, a large part of the capture and anti-correlated with the estimate (a path that
// stopped fitting, seldom the caller).
// Deterministic; no allocation after construction.
#pragma once

#include <cstddef>
#include <vector>

#include "media/mirrored_ring.h"

namespace parley {

class EchoStepDetector {
 public:
  EchoStepDetector(size_t block_samples, int max_step_blocks);

  // One block: the capture and the filter's echo estimate of it. `armed`: the filter models the
  // path well (a sudden mismatch then means the path moved). Returns the step in samples
  // (positive: the echo now comes later), 0 for none; after a step it waits for estimates of
  // the moved filter before it looks again.
  int Update(const float* capture, const float* echo_estimate, bool armed);
  // A lag fits better than the current one but is not yet decided, or a step was just taken and
  // the moved filter's estimates are not yet in: the error may be the echo's, not the caller's.
  bool suspects_step() const { return candidate_blocks_ > 0 || quiet_blocks_ > 0; }

 private:
  void Clear();

  size_t block_;
  int max_lag_;   // samples: max_step_blocks * block
  int history_;   // blocks kept: max_step_blocks + 1
  size_t span_;   // samples kept: history_ * block, the newest block last
  // The last span_ samples of both, the newest block last, without moving them every block
  // (a copy of the spans a block was a third of the detector's own instructions).
  MirroredRing<float> capture_;
  MirroredRing<float> estimate_;
  std::vector<float> block_error_;  // per block kept, its sum, the newest last
  // Smoothed error of each lag (index step + max_lag_) and of lag 0 on the same capture samples.
  std::vector<float> lag_error_;
  std::vector<float> own_error_;
  std::vector<float> sums_;         // this block's sums, max_lag_ a side
  std::vector<float> lag_capture_;  // smoothed capture energy each lag compares
  std::vector<double> prefix_;          // prefix sums of the lag-0 error, (capture - estimate)²
  std::vector<double> capture_prefix_;  // and of the capture's squares
  int candidate_ = 0;
  int candidate_blocks_ = 0;
  int quiet_blocks_ = 0;  // blocks to wait before deciding again
  bool cleared_ = true;   // the smoothed lag sums are all zero
};

}  // namespace parley

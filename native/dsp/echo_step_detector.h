// Steps of a converged echo path by whole blocks, caught within a few blocks of happening.
//
// A jitter buffer absorbing clock drift inserts or drops a frame now and then, and the echo's
// delay steps with it. The delay estimator's envelope covariances need a few hundred ms to see
// a step, and all that time the echo passes uncancelled: on the echo bench's stepping trace
// about half a second of 0-10 dB ERLE per step, which alone held the steady figure near 20 dB.
// But a pure delay step only moves the echo in time: the filter's own echo estimate, moved by
// the step, still matches the capture sample for sample. So the capture is compared with the
// recent echo estimates a block or a few earlier (the echo came later) or later (it came
// earlier: the capture waits that many blocks to be compared), and a lag whose estimate leaves
// far less error than the current one, for a few blocks in a row, is the step. The caller
// talking can't fake one: their speech is in no estimate, so it raises every lag's error alike.
//
// Time-domain sums over block * (2 * max_step_blocks + 1) samples per block. Deterministic; no
// allocation after construction.
#pragma once

#include <cstddef>
#include <vector>

namespace parley {

class EchoStepDetector {
 public:
  EchoStepDetector(size_t block_samples, int max_step_blocks);

  // One block: the capture and the filter's echo estimate of it. `armed`: the filter models the
  // path well (a sudden mismatch then means the path moved). Returns the step in blocks
  // (positive: the echo now comes later), 0 for none; after a step it waits for estimates of
  // the moved filter before it looks again.
  int Update(const float* capture, const float* echo_estimate, bool armed);
  // A lag fits better than the current one but is not yet decided, or a step was just taken and
  // the moved filter's estimates are not yet in: the error may be the echo's, not the caller's.
  bool suspects_step() const { return candidate_blocks_ > 0 || quiet_blocks_ > 0; }

 private:
  // Block `age` blocks old (0: the newest) of a ring.
  const float* Block(const std::vector<float>& ring, int age) const;
  void Clear();

  size_t block_;
  int max_step_;
  int history_;  // blocks kept: max_step_ + 1
  std::vector<float> capture_ring_;
  std::vector<float> estimate_ring_;
  std::vector<float> error_ring_;  // per block: Σ(capture - estimate)², the lag-0 error
  int newest_ = 0;                 // ring slot of the newest block
  // Smoothed error of each lag (index step + max_step_) and of lag 0 on the same capture blocks.
  std::vector<float> lag_error_;
  std::vector<float> own_error_;
  int candidate_ = 0;
  int candidate_blocks_ = 0;
  int quiet_blocks_ = 0;  // blocks to wait before deciding again
};

}  // namespace parley

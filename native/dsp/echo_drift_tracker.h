// The rate at which an echo path slides (the two ends' clocks a few ppm apart), from the
// adaptive filter's own response: a sliding path is the same response delayed a little more
// each block, which the filter can only follow by relearning its fractional delay over and over
// (on the echo bench's 6 ms-a-minute trace the linear filter held 6-13 dB against 35 on the same
// path standing still). So the canceller delays the response itself at the rate measured here:
// the position of the response's strongest tap (the direct path; to a fraction of a sample, by
// a parabola through it and its neighbours), looked at every half second. How far it moved,
// by learning and by the canceller's own delaying, over the blocks between two looks is the
// drift; once the applied rate is right the filter has nothing left to relearn.
// (The phase slope between the response and its earlier self, tried first, read the shape
// changes of learning as moves: 1-1.5 samples per 2 s on a still path.)
// Deterministic; no allocation after construction.
#pragma once

#include <cstddef>
#include <vector>

#include "dsp/fft.h"

namespace parley {

class EchoDriftTracker {
 public:
  // Filters of `partitions` spectra of `fft_size` / 2 + 1 bins each (responses of
  // `block_samples` taps each), in partition order.
  EchoDriftTracker(size_t fft_size, size_t block_samples, size_t partitions);

  // One block of a converged filter (`weights_re`/`weights_im`, after the block's learning).
  void Update(const float* weights_re, const float* weights_im);
  // Blocks the canceller skipped (nothing sent): the path slid on, and the canceller delayed the
  // response by as much when it resumed.
  void Skip(int blocks);
  // The filter's response was moved or replaced by other means (a new window, a kept filter):
  // the next interval starts from it, the rate is kept.
  void Restart();
  // A filter learnt afresh: no rate either.
  void Reset();
  // Samples the response moves by per block (positive: later).
  float samples_per_block() const { return samples_per_block_; }

 private:
  // The strongest tap's position in samples from the response's start.
  float PeakPosition(const float* weights_re, const float* weights_im);

  size_t block_;
  size_t bins_;
  size_t partitions_;
  Fft fft_;
  std::vector<float> taps_;      // the strongest partition's taps between its neighbours'
  float last_peak_ = -1.0f;
  int blocks_ = 0;
  float samples_per_block_ = 0.0f;
};

}  // namespace parley

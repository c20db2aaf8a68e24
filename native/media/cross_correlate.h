// The cross-correlation of a window with the segments of a signal that start at each of `count`
// consecutive positions: cross[k] = Σ_i window[i] × signal[k + i]. The samples are integers whose
// products and sums are exact in a double (DecimatedHistory), so the order of the sum does not
// change it: segments are scored kCrossBlockLags at a time (the block vectorises, one segment a
// lane), and each lane sums even and odd samples apart, two chains of multiply-adds instead of one
// to wait on.
#pragma once

#include <cstddef>

namespace parley {

constexpr size_t kCrossBlockLags = 8;

// Writes `count` rounded up to kCrossBlockLags values of `cross` and reads as far into `signal`
// (plus window_size - 1): the spare lanes' values are to be ignored.
void CrossCorrelate(const double* signal, const double* window, size_t window_size, size_t count, double* cross);

}  // namespace parley

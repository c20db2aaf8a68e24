// The first index of the largest of values[0, count): std::max_element's answer, in eight
// interleaved running maxima (one vector). A scan in index order is one chain of dependent
// compares, which stayed scalar and was a third of the echo delay estimator's instructions
// (callgrind; the same loop over arrays of eight the compiler left scalar too). Each lane keeps
// the first of its largest, and of the lanes' the largest wins, the lowest index on a tie.
// Compares and moves only, so both clones (vector_clones.h) give the same.
// Tested against std::max_element by native/test/first_largest_test.cc.
#pragma once

#include <cstddef>

namespace parley {

// 0 when `count` is 0 (std::max_element's end).
//
// NaN: nothing guards against it, as the one caller's values cannot hold one: the echo delay
// estimator's covariances are decaying sums of products of centred log energies, each the log of
// a finite energy plus a floor (EchoDelayEstimator::Envelope), of the canceller's int16 audio
// after its DC blockers. A guard would cost every call for a case that does not arise.
// What a NaN does is still defined (and tested): a NaN at values[0] is the answer, as it is
// std::max_element's (a running maximum a NaN never leaves); a NaN anywhere else never is; and
// the answer is std::max_element's whenever values[1, 8) hold no NaN. Under 16 values the answer
// is std::max_element's; from 16 on, a NaN in values[1, 8) starts its lane's running maximum and
// stays it, so the values after it in that lane are passed over.
size_t FirstLargest(const float* values, size_t count);

}  // namespace parley

// EchoMatcher's coarse pass: the cross-correlation of the caller's window with the sent history
// at every lag, at 1 kHz, kept up frame by frame instead of recomputed. The window is the last
// few frames' pushes; a push's piece of the sum at a lag (its samples times the sent samples that
// lag earlier) does not change while both histories advance together, so each piece is computed
// once, in the first search that needs it, and the sum is the pieces added up: a search in
// consecutive frames correlates one frame's samples per lag instead of the window's. The samples
// are integers (DecimatedHistory), so the pieces' sum is the same to the bit as the one sum
// over the window in its order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "media/decimated_history.h"

namespace parley {

class SlidingCorrelation {
 public:
  // Windows of `window` coarse samples against histories of `history`; `per_push` coarse samples
  // a push (the caller's DecimatedHistory::coarse_per_push()).
  SlidingCorrelation(size_t window, size_t history, size_t per_push);

  // cross()[start] for start < starts(): the caller's coarse window with the sent coarse segment
  // that starts there (lag starts() - 1 - start), both as they are now.
  void Compute(const DecimatedHistory& sent, const DecimatedHistory& caller);
  const double* cross() const { return cross_.data(); }
  size_t starts() const { return starts_; }

 private:
  struct Piece {
    std::vector<double> cross;
    bool valid = false;
    uint64_t caller_push = 0;  // the caller's push it holds (1 = the first)
    uint64_t offset = 0;       // sent pushes less caller pushes when it was computed
  };
  size_t window_;
  size_t starts_;
  size_t per_push_;
  size_t remainder_;  // the window's oldest samples, short of a whole push: summed every time
  std::vector<Piece> pieces_;  // one per whole push in the window, by push number modulo their count
  std::vector<double> cross_;
};

}  // namespace parley

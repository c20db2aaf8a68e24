// The cross-correlation of the caller's window with the sent history at a range of lags, at one of
// DecimatedHistory's rates, kept up frame by frame instead of recomputed. The window is the last
// few frames' pushes; a push's piece of the sum at a lag (its samples times the sent samples that
// lag earlier) does not change while both histories advance together, so each piece is computed
// once, by the first search that needs it at that lag, and kept until its push leaves the window;
// the sum is the pieces added up. A search in consecutive frames then correlates one frame's
// samples per lag instead of the window's. The samples are integers (DecimatedHistory), so the
// pieces' sum is the same to the bit as one sum over the window in its order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "media/decimated_history.h"

namespace parley {

class SlidingCorrelation {
 public:
  // Windows of `window` samples (the caller's history at `rate`) against histories of `history`
  // (the sent one); `per_push` samples a push (the caller's at that rate).
  SlidingCorrelation(DecimatedHistory::Rate rate, size_t window, size_t history, size_t per_push);

  // cross()[start] for start in [first, first + count) (first + count <= starts()): the caller's
  // window with the sent segment that starts there (lag starts() - 1 - start), both as they are now.
  void Compute(const DecimatedHistory& sent, const DecimatedHistory& caller, size_t first, size_t count);
  const double* cross() const { return cross_.data(); }
  size_t starts() const { return starts_; }

 private:
  struct Piece {
    std::vector<double> cross;   // by start, rounded up to whole blocks of kCrossBlockLags
    std::vector<uint64_t> push;  // by block: the caller's push whose piece it holds (0: none)
  };
  DecimatedHistory::Rate rate_;
  size_t window_;
  size_t starts_;
  size_t per_push_;
  size_t remainder_;  // the window's oldest samples, short of a whole push: summed every time
  std::vector<Piece> pieces_;  // one per whole push in the window, by push number modulo their count
  uint64_t offset_ = 0;        // sent pushes less caller pushes when the pieces were computed
  std::vector<double> cross_;
};

}  // namespace parley

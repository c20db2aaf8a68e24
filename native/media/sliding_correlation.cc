#include "media/sliding_correlation.h"

#include <algorithm>

#include "media/cross_correlate.h"

namespace parley {

SlidingCorrelation::SlidingCorrelation(size_t window, size_t history, size_t per_push)
    : window_(window),
      starts_(history >= window ? history - window + 1 : 0),
      per_push_(std::min(per_push, window)),
      remainder_(per_push_ > 0 ? window % per_push_ : window),
      pieces_(per_push_ > 0 ? window / per_push_ : 0),
      cross_(starts_ + kCrossBlockLags) {
  for (Piece& piece : pieces_) piece.cross.resize(starts_ + kCrossBlockLags);
}

void SlidingCorrelation::Compute(const DecimatedHistory& sent, const DecimatedHistory& caller) {
  const double* signal = sent.coarse().samples();
  const double* window = caller.coarse().samples();
  // A piece stays valid while both histories advance by the same samples a push.
  const bool aligned = sent.coarse_per_push() == per_push_ && caller.coarse_per_push() == per_push_;
  const uint64_t offset = sent.pushes() - caller.pushes();
  for (size_t k = 0; k < pieces_.size(); ++k) {
    const size_t age = pieces_.size() - 1 - k;  // pushes since this piece's
    const uint64_t push = caller.pushes() - age;
    Piece& piece = pieces_[push % pieces_.size()];
    const size_t at = remainder_ + k * per_push_;
    const bool reusable = piece.valid && piece.caller_push == push && piece.offset == offset && (aligned || age == 0);
    if (!reusable) {
      CrossCorrelate(signal + at, window + at, per_push_, starts_, piece.cross.data());
      piece.valid = true;
      piece.caller_push = push;
      piece.offset = offset;
    }
  }
  if (remainder_ > 0) CrossCorrelate(signal, window, remainder_, starts_, cross_.data());
  for (size_t k = 0; k < pieces_.size(); ++k) {
    const double* piece = pieces_[k].cross.data();
    if (k == 0 && remainder_ == 0) {
      std::copy(piece, piece + starts_, cross_.begin());
    } else {
      for (size_t start = 0; start < starts_; ++start) cross_[start] += piece[start];
    }
  }
}

}  // namespace parley

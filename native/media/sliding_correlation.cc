#include "media/sliding_correlation.h"

#include <algorithm>

#include "dsp/vector_clones.h"
#include "media/cross_correlate.h"

namespace parley {
namespace {

// to[k] += from[k], or = where `add` is false.
PARLEY_VECTOR_CLONES
void Accumulate(const double* __restrict from, size_t count, bool add, double* __restrict to) {
  if (add) {
    for (size_t k = 0; k < count; ++k) to[k] += from[k];
  } else {
    for (size_t k = 0; k < count; ++k) to[k] = from[k];
  }
}

}  // namespace

SlidingCorrelation::SlidingCorrelation(DecimatedHistory::Rate rate, size_t window, size_t history, size_t per_push)
    : rate_(rate),
      window_(window),
      starts_(history >= window ? history - window + 1 : 0),
      per_push_(std::min(per_push, window)),
      remainder_(per_push_ > 0 ? window % per_push_ : window),
      pieces_(per_push_ > 0 ? window / per_push_ : 0),
      cross_(starts_ + kCrossBlockLags) {
  for (Piece& piece : pieces_) {
    piece.cross.resize(starts_ + kCrossBlockLags);
    piece.push.resize((starts_ + kCrossBlockLags - 1) / kCrossBlockLags, 0);
  }
}

void SlidingCorrelation::Compute(const DecimatedHistory& sent, const DecimatedHistory& caller, size_t first, size_t count) {
  const double* signal = sent.level(rate_).samples();
  const double* window = caller.level(rate_).samples();
  const size_t end = first + count;
  // A piece is kept while both histories advance together: by a push each, the same samples a push.
  const uint64_t offset = sent.pushes() - caller.pushes();
  if (offset != offset_) {
    for (Piece& piece : pieces_) std::fill(piece.push.begin(), piece.push.end(), 0);
    offset_ = offset;
  }
  bool summed = remainder_ > 0;  // whether cross_ holds a sum to add the pieces to
  if (summed) CrossCorrelate(signal + first, window, remainder_, count, &cross_[first]);
  const bool aligned = sent.per_push(rate_) == per_push_ && caller.per_push(rate_) == per_push_;
  for (size_t k = 0; k < pieces_.size(); ++k) {
    const size_t age = pieces_.size() - 1 - k;  // pushes since this piece's
    // Before the first push the window holds zeros: nothing to add.
    if (caller.pushes() <= age) continue;
    const uint64_t push = caller.pushes() - age;
    Piece& piece = pieces_[push % pieces_.size()];
    const size_t at = remainder_ + k * per_push_;
    // Computed in blocks of kCrossBlockLags starts from 0, each run of blocks not yet computed for
    // this push at once: a block of starts costs about what one start does.
    const auto kept = [&](size_t block) { return piece.push[block] == push && (aligned || age == 0); };
    for (size_t block = first / kCrossBlockLags; block * kCrossBlockLags < end;) {
      if (kept(block)) {
        ++block;
        continue;
      }
      size_t stop = block + 1;
      while (stop * kCrossBlockLags < end && !kept(stop)) ++stop;
      CrossCorrelate(signal + at + block * kCrossBlockLags, window + at, per_push_, (stop - block) * kCrossBlockLags,
                     &piece.cross[block * kCrossBlockLags]);
      std::fill(piece.push.begin() + static_cast<std::ptrdiff_t>(block), piece.push.begin() + static_cast<std::ptrdiff_t>(stop), push);
      block = stop;
    }
    Accumulate(&piece.cross[first], count, summed, &cross_[first]);
    summed = true;
  }
  if (!summed) std::fill(cross_.begin() + static_cast<std::ptrdiff_t>(first), cross_.begin() + static_cast<std::ptrdiff_t>(end), 0.0);
}

}  // namespace parley

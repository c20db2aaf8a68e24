#include "rtp/replay_window.h"

namespace parley {

ReplayWindow::Check ReplayWindow::Test(uint64_t index) const {
  if (empty_ || index > highest_) return Check::kNew;
  const uint64_t age = highest_ - index;
  if (age >= kSize) return Check::kTooOld;
  return (bitmap_ >> age) & 1 ? Check::kReplayed : Check::kNew;
}

void ReplayWindow::Accept(uint64_t index) {
  if (empty_) {
    empty_ = false;
    highest_ = index;
    bitmap_ = 1;
    return;
  }
  if (index > highest_) {
    const uint64_t shift = index - highest_;
    bitmap_ = shift >= kSize ? 0 : bitmap_ << shift;
    bitmap_ |= 1;
    highest_ = index;
    return;
  }
  bitmap_ |= uint64_t{1} << (highest_ - index);
}

}  // namespace parley

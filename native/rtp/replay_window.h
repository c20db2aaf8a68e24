// SRTP replay protection (RFC 3711 section 3.3.2): a sliding window of the last 64 packet indices
// that were authenticated; anything older than the window, or seen in it, is refused.
#pragma once

#include <cstdint>

namespace parley {

class ReplayWindow {
 public:
  static constexpr uint64_t kSize = 64;

  enum class Check { kNew, kReplayed, kTooOld };

  Check Test(uint64_t index) const;
  // Records an index that passed Test and authentication.
  void Accept(uint64_t index);
  uint64_t highest() const { return highest_; }
  bool empty() const { return empty_; }

 private:
  bool empty_ = true;
  uint64_t highest_ = 0;
  uint64_t bitmap_ = 0;  // bit k: index highest_ - k was seen
};

}  // namespace parley

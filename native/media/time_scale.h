#pragma once
#include <cstdint>
#include <limits>

namespace parley {

// Microseconds <-> RTP clock ticks without overflow: the products exceed int64 for times and
// timestamp positions that hostile streams or long calls can reach (UBSan found
// `timestamp * 1'000'000` overflowing after large timestamp jumps), so they are formed in 128 bits
// and saturated.
inline int64_t SaturateToInt64(__int128 value) {
  constexpr __int128 kMax = std::numeric_limits<int64_t>::max();
  constexpr __int128 kMin = std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(value > kMax ? kMax : value < kMin ? kMin : value);
}

inline int64_t UsToTicks(int64_t us, int64_t clock_rate_hz) {
  return SaturateToInt64(static_cast<__int128>(us) * clock_rate_hz / 1'000'000);
}

inline int64_t TicksToUs(int64_t ticks, int64_t clock_rate_hz) {
  return SaturateToInt64(static_cast<__int128>(ticks) * 1'000'000 / clock_rate_hz);
}

}  // namespace parley

#include "dsp/first_largest.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "dsp/vector_clones.h"

namespace parley {

PARLEY_VECTOR_CLONES
size_t FirstLargest(const float* values, size_t count) {
  typedef float Floats __attribute__((vector_size(32)));
  typedef int32_t Ints __attribute__((vector_size(32)));
  constexpr size_t kLanes = 8;
  if (count < 2 * kLanes) return static_cast<size_t>(std::max_element(values, values + count) - values);
  Floats largest;
  std::memcpy(&largest, values, sizeof largest);
  Ints index = {0, 1, 2, 3, 4, 5, 6, 7};
  Ints at = index;
  const size_t whole = count - count % kLanes;
  for (size_t i = kLanes; i < whole; i += kLanes) {
    Floats next;
    std::memcpy(&next, values + i, sizeof next);
    index += static_cast<int32_t>(kLanes);
    const Ints larger = largest < next;
    at = larger ? index : at;
    largest = larger ? next : largest;
  }
  size_t best = static_cast<size_t>(at[0]);
  float best_value = largest[0];
  for (size_t j = 1; j < kLanes; ++j) {
    if (best_value < largest[j] || (largest[j] == best_value && static_cast<size_t>(at[j]) < best)) {
      best = static_cast<size_t>(at[j]);
      best_value = largest[j];
    }
  }
  // The rest lie after every lane's: only a larger value moves the answer.
  for (size_t i = whole; i < count; ++i) {
    if (best_value < values[i]) {
      best = i;
      best_value = values[i];
    }
  }
  return best;
}

}  // namespace parley

// Tests of FirstLargest (native/dsp/first_largest.h), the echo delay estimator's peak search, against
// std::max_element, whose answer it must give: on random arrays of every length from 0 to 300 and
// some longer (the lanes' whole vectors, their remainder and the scalar path under 16 values),
// with distinct values, many ties, signed zeros and infinities; the largest, and two equal
// largest, put at every index of arrays of lengths around the lanes' edges; and what its header
// defines for NaN. Run under ASan/UBSan (an overread past the end is a finding) by
// test/unit/native/first-largest.test.ts, with the clone this CPU runs (vector_clones.h); the
// other clone's compares are the same source. Every check prints one line, "ok" or "FAIL", and
// the exit status is the number of failures.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <vector>

#include "dsp/first_largest.h"
#include "dsp/vector_clones.h"
#include "test/check.h"

namespace {

using parley::FirstLargest;
using parley_test::Check;

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

uint32_t Next(uint32_t& seed) {
  seed = seed * 1664525u + 1013904223u;
  return seed >> 8;
}

enum class Kind { kSpread, kTies, kZerosAndInfinities };

// Deterministic values of one kind: spread over many magnitudes and both signs (mostly distinct),
// small integers (ties within a lane and across lanes), or signed zeros and infinities among
// small integers.
std::vector<float> Values(size_t count, Kind kind, uint32_t seed) {
  std::vector<float> values(count);
  for (float& value : values) {
    const uint32_t r = Next(seed);
    switch (kind) {
      case Kind::kSpread:
        value = std::ldexp(static_cast<float>(r & 0xffff) - 32768.0f, static_cast<int>(r >> 16) % 40 - 20);
        break;
      case Kind::kTies:
        value = static_cast<float>(r % 4);
        break;
      case Kind::kZerosAndInfinities: {
        const float choices[] = {-kInf, -1.0f, -0.0f, 0.0f, 1.0f, kInf};
        // Infinities rarer, so that an array's largest is often a zero or one.
        value = choices[r % 64 == 0 ? 5 : r % 32 == 0 ? 0 : 1 + r % 4];
        break;
      }
    }
  }
  return values;
}

size_t Reference(const std::vector<float>& values) {
  return static_cast<size_t>(std::max_element(values.begin(), values.end()) - values.begin());
}

size_t Answer(const std::vector<float>& values) { return FirstLargest(values.data(), values.size()); }

// Lengths 0-300 and some beyond (the delay estimator's searches are 25 and 61-101 lags).
std::vector<size_t> Lengths() {
  std::vector<size_t> lengths;
  for (size_t n = 0; n <= 300; ++n) lengths.push_back(n);
  for (size_t n : {511, 512, 513, 1000, 4095, 4096, 4097}) lengths.push_back(n);
  return lengths;
}

// Arrays where the lane edges fall differently: under 16 (std::max_element itself), exactly 16,
// whole vectors with and without a remainder of every size.
constexpr size_t kEdgeLengths[] = {1, 2, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33, 40, 47, 61, 64, 101};

void RandomArrays() {
  const struct {
    Kind kind;
    const char* what;
  } kinds[] = {
      {Kind::kSpread, "random distinct values: std::max_element's index, lengths 0-300 and 511-4097 (mismatches)"},
      {Kind::kTies, "random values 0-3, ties everywhere: the first largest, as std::max_element (mismatches)"},
      {Kind::kZerosAndInfinities, "random -inf, -1, -0, +0, 1, +inf: std::max_element's index (mismatches)"},
  };
  for (const auto& [kind, what] : kinds) {
    int mismatches = 0;
    uint32_t seed = 1 + static_cast<uint32_t>(kind);
    for (size_t n : Lengths()) {
      for (int trial = 0; trial < 8; ++trial) {
        const std::vector<float> values = Values(n, kind, Next(seed));
        if (Answer(values) != Reference(values)) ++mismatches;
      }
    }
    Check(mismatches == 0, what, mismatches);
  }
}

void PlacedLargest() {
  // The largest alone at every index: the lanes, their remainder, the first vector.
  int wrong = 0;
  for (size_t n : kEdgeLengths) {
    for (size_t at = 0; at < n; ++at) {
      std::vector<float> values = Values(n, Kind::kSpread, static_cast<uint32_t>(n * 1000 + at));
      values[at] = 1e12f;  // over any spread value (32768 · 2^19)
      if (Answer(values) != at) ++wrong;
    }
  }
  Check(wrong == 0, "the largest put at every index of lengths 1-101 is found there (wrong answers)", wrong);

  // Two equal largest at every pair of indices: the first, whichever lanes they sit in, or the
  // remainder; and -0 and +0 as the largest, which compare equal: the first of them too.
  int not_first = 0;
  int zeros_not_first = 0;
  for (size_t n : kEdgeLengths) {
    for (size_t first = 0; first < n; ++first) {
      for (size_t second = first + 1; second < n; ++second) {
        std::vector<float> values(n, -1.0f);
        values[first] = 5.0f;
        values[second] = 5.0f;
        if (Answer(values) != first) ++not_first;
        values[first] = (first + second) % 2 == 0 ? -0.0f : 0.0f;
        values[second] = (first + second) % 2 == 0 ? 0.0f : -0.0f;
        if (Answer(values) != first) ++zeros_not_first;
      }
    }
  }
  Check(not_first == 0, "two equal largest at every pair of indices: the first of them (wrong answers)", not_first);
  Check(zeros_not_first == 0, "-0 and +0 the largest at every pair of indices: the first of them (wrong answers)",
        zeros_not_first);

  int not_zero = 0;
  for (size_t n : kEdgeLengths) {
    for (float value : {0.0f, -3.5f, kInf, -kInf}) {
      if (Answer(std::vector<float>(n, value)) != 0) ++not_zero;
    }
  }
  Check(not_zero == 0, "all values equal (0, -3.5, +inf, -inf): index 0 (wrong answers)", not_zero);
  Check(Answer({}) == 0, "no values: 0, std::max_element's end", static_cast<double>(Answer({})));
  Check(Answer({-2.0f}) == 0, "one value: index 0", static_cast<double>(Answer({-2.0f})));
}

// Random values with a NaN in about a quarter of the places from `from` on.
std::vector<float> WithNaNs(size_t count, size_t from, uint32_t& seed) {
  std::vector<float> values = Values(count, Kind::kSpread, Next(seed));
  for (size_t i = from; i < count; ++i) {
    if (Next(seed) % 4 == 0) values[i] = kNaN;
  }
  return values;
}

// first_largest.h defines what a NaN does, though the delay estimator's covariances hold none.
void NaNs() {
  int wrong = 0;
  for (size_t n : kEdgeLengths) {
    std::vector<float> values = Values(n, Kind::kSpread, static_cast<uint32_t>(n));
    values[0] = kNaN;
    if (Answer(values) != 0 || Reference(values) != 0) ++wrong;
  }
  Check(wrong == 0, "a NaN at values[0] is the answer, as std::max_element's (wrong answers)", wrong);

  // NaNs from index 8 on only: std::max_element's answer, never a NaN's. In values[1, 8) too: still
  // never a NaN's (from 16 values on, such a NaN's lane is passed over after it, as the header says).
  int mismatches = 0;
  int nan_answers = 0;
  uint32_t seed = 77;
  for (size_t n : Lengths()) {
    if (n == 0) continue;
    for (int trial = 0; trial < 8; ++trial) {
      const std::vector<float> later = WithNaNs(n, 8, seed);
      const size_t answer = Answer(later);
      if (answer != Reference(later) || std::isnan(later[answer])) ++mismatches;
      const std::vector<float> anywhere = WithNaNs(n, 1, seed);
      if (std::isnan(anywhere[Answer(anywhere)])) ++nan_answers;
    }
  }
  Check(mismatches == 0, "NaNs from index 8 on: std::max_element's index, never a NaN's (mismatches)", mismatches);
  Check(nan_answers == 0, "NaNs anywhere after values[0]: never the answer (NaN answers)", nan_answers);
  std::vector<float> lane(16, 0.0f);
  lane[1] = kNaN;
  lane[9] = 1.0f;  // lane 1's, after its NaN
  Check(Answer(lane) == 0 && Reference(lane) == 9,
        "a NaN at values[1] of 16 passes over lane 1's largest (index 9, std::max_element's): answer",
        static_cast<double>(Answer(lane)));
}

}  // namespace

int main() {
#ifdef PARLEY_VECTOR_CLONES_BUILT
  __builtin_cpu_init();
  std::printf("clone: %s\n", __builtin_cpu_supports("x86-64-v3") ? "x86-64-v3" : "baseline");
#endif
  RandomArrays();
  PlacedLargest();
  NaNs();
  return parley_test::Finish("first-largest");
}

// The checks of the native signal test programs (native/test/*_test.cc, run by test/unit/native
// under ASan/UBSan): each check prints one line, "ok" or "FAIL" with its measured value, and the
// program's exit status is the number of failures.
#pragma once

#include <cstdio>

namespace parley_test {

inline int failures = 0;

inline void Check(bool ok, const char* what, double value) {
  std::printf("%s %s (%.4f)\n", ok ? "ok" : "FAIL", what, value);
  if (!ok) ++failures;
}

// The summary line the JS side reads last: "<name>: <n> failures".
inline int Finish(const char* name) {
  std::printf("%s: %d failures\n", name, failures);
  return failures;
}

}  // namespace parley_test

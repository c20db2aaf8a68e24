// Runs the jitter histogram through 2.5 hours of media time (450,000 packets at 50/s) and checks
// that no float ever became subnormal: the x86 MXCSR flags record any denormal operand or
// underflowed result, which forgetting by multiplying every bucket per packet produced after
// ~2 hours (and each such multiply costs ~100 cycles). Also checks that the target the histogram
// gives is the same at the end as an hour before: renormalising must not change the answer.
// Exit status 0 on success; prints what failed otherwise.
#include <xmmintrin.h>

#include <cmath>
#include <cstdint>
#include <cstdio>

#include "media/delay_estimator.h"

int main() {
  parley::DelayEstimator estimator(20, 400);
  const int64_t frame_us = 20'000;
  const int64_t packets = 450'000;
  estimator.Restart(0, 0);
  _mm_setcsr(_mm_getcsr() & ~(_MM_EXCEPT_DENORM | _MM_EXCEPT_UNDERFLOW));
  double after_one_hour = 0;
  for (int64_t i = 1; i <= packets; ++i) {
    // A minute of 30-60 ms jitter, then 0-30 ms: the first minute's buckets are never hit again
    // and only decay.
    const int64_t jitter_us = ((i * 7919) % 31 + (i <= 3000 ? 30 : 0)) * 1000;
    estimator.Update(jitter_us, i * frame_us + jitter_us);
    if (i == 180'000) after_one_hour = estimator.target_delay_ms();
  }
  const unsigned flags = _mm_getcsr() & (_MM_EXCEPT_DENORM | _MM_EXCEPT_UNDERFLOW);
  const double target = estimator.target_delay_ms();
  std::printf("delay-estimator: target %.3f ms after 1 h, %.3f ms after 2.5 h; MXCSR denormal %u underflow %u\n",
              after_one_hour, target, (flags & _MM_EXCEPT_DENORM) ? 1u : 0u, (flags & _MM_EXCEPT_UNDERFLOW) ? 1u : 0u);
  if (flags != 0) return 1;
  if (!(std::fabs(target - after_one_hour) < 0.001) || target < 30 || target > 40) return 1;
  return 0;
}

// The spike floor of DelayEstimator (native/media/delay_estimator.h) through recurring delay
// spikes, as a native program built with ASan/UBSan (test/unit/native/delay-estimator.test.ts runs
// it): every check prints one line, "ok" or "FAIL", and the exit status is the number of failures.
#include <cstdint>
#include <initializer_list>

#include "media/delay_estimator.h"
#include "test/check.h"

namespace {

using parley::DelayEstimator;
using parley_test::Check;

constexpr int64_t kFrameUs = 20'000;
constexpr int64_t kSpikeEveryUs = 7'000'000;
constexpr int64_t kAfterLastSpikeUs = 3'000'000;

// 20 ms packets on a path of 0-4 ms jitter, stalled once every `every_us` (from 2 s on) for each
// height in turn: the packets sent during a stall all arrive when it ends, the first `height` late,
// the rest less and less. Returns the target 3 s after the last spike.
double TargetAfterSpikes(std::initializer_list<double> heights_ms, int64_t every_us = kSpikeEveryUs) {
  DelayEstimator estimator(20, 400);
  estimator.Restart(0, 0);
  const int64_t end_us = 2'000'000 + static_cast<int64_t>(heights_ms.size() - 1) * every_us + kAfterLastSpikeUs;
  for (int64_t send_us = kFrameUs; send_us <= end_us; send_us += kFrameUs) {
    int64_t transit_us = (send_us / kFrameUs * 7919) % 5 * 1000;
    int64_t spike_start_us = 2'000'000;
    for (const double height_ms : heights_ms) {
      const int64_t stall_us = static_cast<int64_t>(height_ms * 1000);
      if (send_us >= spike_start_us && send_us < spike_start_us + stall_us) transit_us = spike_start_us + stall_us - send_us;
      spike_start_us += every_us;
    }
    estimator.Update(transit_us, send_us + transit_us);
  }
  return estimator.target_delay_ms();
}

void SmallerSpikesAfterLargerOnesKeepTheFloor() {
  // Two 200 ms spikes set a floor of 100 ms; two of 100 ms after them must not halve it: the path
  // has shown it stalls for 200 ms.
  const double target_ms = TargetAfterSpikes({200, 200, 100, 100});
  Check(target_ms >= 95 && target_ms <= 105, "two smaller spikes after two larger ones keep the floor at half the larger (ms)", target_ms);
}

void OneOutlierDoesNotSetTheFloorAlone() {
  // Spikes of 100 ms and one of 160: half the mean of the two highest (65 ms), not half the
  // outlier (80 ms).
  const double target_ms = TargetAfterSpikes({100, 100, 160});
  Check(target_ms >= 60 && target_ms <= 70, "one higher spike among recurring ones sets the floor with the next highest, not alone (ms)", target_ms);
}

void EqualSpikesSetHalfTheirHeight() {
  const double target_ms = TargetAfterSpikes({160, 160});
  Check(target_ms >= 75 && target_ms <= 85, "two equal recurring spikes set a floor of half their height (ms)", target_ms);
}

void ASpikeLongBeforeDoesNotCount() {
  // A 200 ms spike, then 100 ms ones 20 and 40 s later: the first began 40 s before the last, more
  // than the 30 s over which spikes recur, and the floor is half of 100 ms, not of their mean.
  const double target_ms = TargetAfterSpikes({200, 100, 100}, 20'000'000);
  Check(target_ms >= 45 && target_ms <= 55, "a spike more than 30 s before the last does not raise the floor (ms)", target_ms);
}

}  // namespace

int main() {
  SmallerSpikesAfterLargerOnesKeepTheFloor();
  OneOutlierDoesNotSetTheFloorAlone();
  EqualSpikesSetHalfTheirHeight();
  ASpikeLongBeforeDoesNotCount();
  return parley_test::Finish("delay-estimator-spikes");
}

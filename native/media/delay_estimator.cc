#include "media/delay_estimator.h"

#include <algorithm>
#include <iterator>

namespace parley {
namespace {
// Tuned on bench/jitter's traces (npm run bench -- jitter): the 99.5th percentile keeps late loss
// under 1 % on Gaussian and Pareto jitter; forgetting 0.2 % of the mass per packet (a ~10 s
// memory) means three packets at a new jitter level move the percentile (fast attack), and a
// 10 ms/s decay beat 5 ms/s (fewer drops) and 0.5 %/packet forgetting on the Pareto trace.
constexpr double kForget = 0.998;
// Forgetting by multiplying every bucket per packet took old buckets into subnormal floats after
// ~354,000 packets (2 hours at 50 packets/s), where each multiply costs ~100 cycles. Instead the
// weight of new mass grows by 1/kForget per packet (the same ratios, one multiply), and the whole
// histogram is divided back when the weight passes kRenormaliseAt; mass that falls below
// kNegligibleMass of the total then is flushed to zero, so nothing ever reaches the subnormal range.
constexpr double kRenormaliseAt = 1e100;
constexpr double kNegligibleMass = 1e-30;
constexpr double kPercentile = 0.995;
constexpr double kDecayMsPerS = 10.0;
constexpr double kSpikeMinMs = 80.0;          // and twice the histogram's target
constexpr int64_t kSpikeGapUs = 500'000;      // spike packets further apart start a new spike
constexpr int64_t kSpikeBurstUs = 100'000;    // a spike's burst: packets this close to the last one
constexpr int64_t kSpikeMaxSpanUs = 1'000'000; // longer: not a spike but more jitter, into the histogram
constexpr int64_t kSpikeMemoryUs = 30'000'000; // spikes this far apart do not recur
constexpr double kSpikeFloorShare = 0.5;
constexpr double kSpikeFloorCapMs = 120.0;
}  // namespace

DelayEstimator::DelayEstimator(int min_delay_ms, int max_delay_ms)
    : min_delay_ms_(min_delay_ms),
      max_delay_ms_(max_delay_ms),
      histogram_target_ms_(min_delay_ms),
      target_delay_ms_(min_delay_ms) {
  std::fill(std::begin(window_min_), std::end(window_min_), INT64_MAX);
}

void DelayEstimator::Restart(int64_t transit_us, int64_t arrival_us) {
  std::fill(std::begin(window_min_), std::end(window_min_), INT64_MAX);
  window_index_ = 0;
  window_start_us_ = arrival_us;
  window_min_[0] = transit_us;
  base_transit_us_ = transit_us;
  last_update_us_ = arrival_us;
}

double DelayEstimator::HistogramPercentileMs() const {
  double cumulative = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    cumulative += histogram_[i];
    // The bucket's upper edge: packets with up to that much jitter arrive before their playout.
    if (cumulative >= kPercentile * histogram_total_) return (static_cast<double>(i) + 1.0) * kBucketMs;
  }
  return kBuckets * kBucketMs;
}

void DelayEstimator::Update(int64_t transit_us, int64_t arrival_us) {
  if (arrival_us - window_start_us_ >= kWindowUs) {
    window_index_ = (window_index_ + 1) % kMinWindows;
    window_min_[window_index_] = INT64_MAX;
    window_start_us_ = arrival_us;
  }
  window_min_[window_index_] = std::min(window_min_[window_index_], transit_us);
  base_transit_us_ = *std::min_element(std::begin(window_min_), std::end(window_min_));

  const double jitter_ms = std::max(0.0, static_cast<double>(transit_us - base_transit_us_) / 1000.0);
  if (!TrackSpike(jitter_ms, arrival_us)) {
    const size_t bucket = std::min(kBuckets - 1, static_cast<size_t>(jitter_ms / kBucketMs));
    weight_ /= kForget;
    histogram_[bucket] += weight_ * (1.0 - kForget);
    histogram_total_ += weight_ * (1.0 - kForget);
    if (weight_ > kRenormaliseAt) Renormalise();
  }
  const double wanted = HistogramPercentileMs();
  const double elapsed_s = static_cast<double>(std::max<int64_t>(0, arrival_us - last_update_us_)) / 1e6;
  last_update_us_ = arrival_us;
  histogram_target_ms_ =
      wanted >= histogram_target_ms_ ? wanted : std::max(wanted, histogram_target_ms_ - kDecayMsPerS * elapsed_s);
  target_delay_ms_ = std::clamp(std::max(histogram_target_ms_, SpikeFloorMs(arrival_us)), min_delay_ms_, max_delay_ms_);
}

void DelayEstimator::Renormalise() {
  histogram_total_ = 0;
  for (double& mass : histogram_) {
    mass /= weight_;
    if (mass < kNegligibleMass) mass = 0;
    histogram_total_ += mass;
  }
  weight_ = 1.0;
}

bool DelayEstimator::TrackSpike(double jitter_ms, int64_t arrival_us) {
  // A spike starts far above the target; the rest of its burst, arriving just after with less and
  // less jitter, belongs to it while still above the target.
  const bool in_burst = CurrentSpike().start_us >= 0 && arrival_us - spike_last_us_ <= kSpikeBurstUs;
  const double threshold_ms = in_burst ? histogram_target_ms_ : std::max(kSpikeMinMs, 2.0 * histogram_target_ms_);
  if (jitter_ms <= threshold_ms) return false;
  if (CurrentSpike().start_us < 0 || arrival_us - spike_last_us_ > kSpikeGapUs) {
    spike_index_ = (spike_index_ + 1) % kSpikesKept;
    spikes_[spike_index_] = Spike{arrival_us, 0};
  }
  spike_last_us_ = arrival_us;
  spikes_[spike_index_].height_ms = std::max(spikes_[spike_index_].height_ms, jitter_ms);
  return arrival_us - CurrentSpike().start_us <= kSpikeMaxSpanUs;
}

double DelayEstimator::SpikeFloorMs(int64_t now_us) const {
  const int64_t current_us = CurrentSpike().start_us;
  const int64_t previous_us = PreviousSpike().start_us;
  const bool recurring = previous_us >= 0 && current_us - previous_us <= kSpikeMemoryUs && now_us - current_us <= kSpikeMemoryUs;
  if (!recurring) return 0;
  double highest_ms = 0;
  double second_ms = 0;
  for (const Spike& spike : spikes_) {
    if (spike.start_us < 0 || current_us - spike.start_us > kSpikeMemoryUs) continue;
    if (spike.height_ms > highest_ms) {
      second_ms = highest_ms;
      highest_ms = spike.height_ms;
    } else if (spike.height_ms > second_ms) {
      second_ms = spike.height_ms;
    }
  }
  return std::min(kSpikeFloorCapMs, kSpikeFloorShare * (highest_ms + second_ms) / 2);
}

}  // namespace parley

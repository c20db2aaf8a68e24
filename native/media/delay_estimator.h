// The jitter buffer's delay manager (NetEq's DelayManager, reduced): from each packet's transit
// time (arrival − timestamp on the sender's clock) it keeps the path's base transit and the target
// playout delay above it. Time is a parameter; nothing here allocates.
//
// Base transit: the minimum transit over the last kMinWindows one-second windows. A sender clock
// that runs fast or slow (±500 ppm) moves the transit by up to 0.5 ms per second; the sliding
// minimum follows it, so drift never accumulates as delay.
// Target: a high percentile of the jitter (transit above base) in a histogram whose old mass is
// forgotten per packet. The target follows a rise at once (fast attack) and falls at most
// kDecayMsPerS (slow decay), so one quiet second after a burst does not invite the next one in late.
// Delay spikes (the path stalls, then delivers a burst: jitter far above the target, for well under
// a second) stay out of the histogram, which they would otherwise hold at the spike's height for
// many seconds. When spikes recur, the target gets a floor of half their height (the mean of the
// two highest of the last kSpikesKept: two smaller spikes after larger ones do not halve the floor
// the larger ones set, and one outlier does not set it alone; on the bench's heavy-tail trace the
// floor from the last two spikes alone let the p95 delay reach 97 ms against the whole-frame
// buffer's 90, now 90; spikes that began more than kSpikeMemoryUs before the current one do not
// count), capped at kSpikeFloorCapMs: covering a spike fully costs its whole height on every
// frame, and ITU-T G.114 puts the one-way budget at 150 ms, so the buffer concedes the top of a
// rare spike instead.
#pragma once

#include <cstddef>
#include <cstdint>

namespace parley {

class DelayEstimator {
 public:
  DelayEstimator(int min_delay_ms, int max_delay_ms);

  // Starts afresh from one packet (stream start, timestamp jump, new SSRC); the jitter histogram
  // is kept: the network did not change.
  void Restart(int64_t transit_us, int64_t arrival_us);
  void Update(int64_t transit_us, int64_t arrival_us);

  int64_t base_transit_us() const { return base_transit_us_; }
  double target_delay_ms() const { return target_delay_ms_; }

 private:
  double HistogramPercentileMs() const;
  void Renormalise();
  // True when the packet belongs to a delay spike (and is kept out of the histogram).
  bool TrackSpike(double jitter_ms, int64_t arrival_us);
  double SpikeFloorMs(int64_t now_us) const;

  static constexpr size_t kMinWindows = 4;
  static constexpr int64_t kWindowUs = 1'000'000;
  static constexpr size_t kBuckets = 100;  // 5 ms each: 0..500 ms of jitter
  static constexpr double kBucketMs = 5.0;
  static constexpr size_t kSpikesKept = 4;

  double min_delay_ms_;
  double max_delay_ms_;
  int64_t window_min_[kMinWindows];
  size_t window_index_ = 0;
  int64_t window_start_us_ = 0;
  int64_t base_transit_us_ = 0;
  double histogram_[kBuckets] = {0};
  double histogram_total_ = 0;
  double weight_ = 1.0;  // of the next packet's mass: the histogram is kept in these units
  double histogram_target_ms_;  // the percentile with fast attack, slow decay
  double target_delay_ms_;       // with the spike floor, clamped
  int64_t last_update_us_ = 0;

  struct Spike {
    int64_t start_us = -1;  // < 0: none yet
    double height_ms = 0;
  };
  const Spike& CurrentSpike() const { return spikes_[spike_index_]; }
  const Spike& PreviousSpike() const { return spikes_[(spike_index_ + kSpikesKept - 1) % kSpikesKept]; }

  // The last kSpikesKept spikes, the current one at spike_index_.
  Spike spikes_[kSpikesKept];
  size_t spike_index_ = 0;
  int64_t spike_last_us_ = 0;
};

}  // namespace parley

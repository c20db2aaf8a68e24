// Time-scale modification of decoded speech, WSOLA-style as in WebRTC NetEq's Accelerate and
// PreemptiveExpand: to shorten the audio, skip ahead by one (or a few) pitch periods; to lengthen
// it, play the last pitch period again; in both cases the join is a cross-fade of two segments a
// whole period apart, so the waveform keeps its pitch and has no step. The period is the lag in
// 2.5-15 ms (NetEq's range: pitch of 67-400 Hz) with the highest normalised cross-correlation
// between the audio just played and the audio one lag later (accelerate) or earlier (expand),
// searched at 4 kHz and refined at the full rate.
//
// Speech that is neither periodic (correlation below kVoicedCorrelation) nor quiet is left alone
// (NetEq's "active speech, low correlation" case): stretching noise-like loud audio by a wrong lag
// is audible, and the caller simply tries again on the next packet. So is, for accelerate, a
// packet whose level steps against the audio just played (a syllable's onset or decay), and an
// accelerate's join fades over all the audio left in the packet, not over one period.
//
// The caller owns all audio: `x` points at the first new sample and `history` samples before it
// are the output already played (read only). Nothing allocates after construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace parley {

class TimeStretch {
 public:
  // The shortest join: a cut of quiet audio keeps this much of its packet to fade over.
  static constexpr int kMinCrossFadeUs = 1000;

  // Rates that are multiples of 4 kHz (8, 12, 16, 24, 32, 48 kHz); throws std::invalid_argument.
  explicit TimeStretch(int sample_rate_hz);
  static bool Supports(int sample_rate_hz);

  // Removes a lag of at most `max_remove` samples from `x[0, n)`; writes n - removed samples to
  // `out` (which may not alias `x`) and returns removed (0: not stretched, out is a copy of x).
  // `quiet_only`: only where the audio is quiet (the delay is inside its band and may wait for a
  // pause between words, where a cut costs nothing audible). `fast` (a delay spike's backlog above
  // the band, NetEq's fast accelerate): whole pitch periods, or a quiet packet, up to 3/4 of a
  // 20 ms packet (the whole lag range), not only up to half of it.
  size_t Accelerate(const int16_t* x, size_t history, size_t n, size_t max_remove, int16_t* out, bool quiet_only = false,
                    bool fast = false);
  // Inserts at most `max_insert` samples before `x[0, n)`: the history's last pitch period, once;
  // writes n + inserted samples to `out` (room for n + max_insert()) and returns inserted (0: out
  // = x). `urgent` (the delay far below its target): a voiced period as many whole times as fit
  // (up to max_insert()), and loud audio without a pitch lengthened too, by its best lag.
  size_t PreemptiveExpand(const int16_t* x, size_t history, size_t n, size_t max_insert, int16_t* out,
                          bool urgent = false);
  // The join after concealment (NetEq's Merge): fades `x[0, n)` in, in place, from the history's
  // last pitch period played on, so the first good packet after a loss starts without a step.
  void Merge(int16_t* x, size_t history, size_t n);

  size_t min_lag() const { return min_lag_; }
  size_t max_lag() const { return max_lag_; }
  // The most one PreemptiveExpand inserts: two of the longest periods, a little more than a frame,
  // so a target that jumps by a frame is met in one packet without a frame of concealment.
  size_t max_insert() const { return 2 * max_lag_; }
  // Played samples that must precede `x` for either operation.
  size_t history_needed() const { return max_lag_ + window_; }
  // Best normalised correlation of the last call (for tests and stats): in [-1, 1].
  double last_correlation() const { return last_correlation_; }

 private:
  // The lag in [min_lag_, max_lag] whose segment `sign * lag` away from x[-window_, 0) correlates
  // best. sign +1 looks ahead (needs x[0, max_lag)), -1 looks back into the history. Then the
  // largest multiple of that lag up to `max_multiple` (0: none) that correlates nearly as well; a
  // lag found beyond a nonzero `max_multiple` is first brought down to the period it repeats.
  size_t BestLag(const int16_t* x, int sign, size_t max_lag, size_t max_multiple, double* correlation);
  // Normalised correlation of x[-window_, 0) (its energy `window_energy`, the same for every
  // offset) with the segment `offset` samples away.
  double Correlation(const int16_t* x, std::ptrdiff_t offset, int64_t window_energy) const;
  bool Quiet(const int16_t* x, size_t length) const;
  // x[0, n) within kSteadyLevelDb of the audio just played (not a syllable's onset or decay).
  bool Steady(const int16_t* x, size_t n) const;

  size_t decimation_;
  size_t min_lag_;
  size_t max_lag_;
  size_t window_;
  size_t min_cross_fade_;
  double last_correlation_ = 0;
  std::vector<int16_t> decimated_;  // BestLag's coarse search: the span searched, every decimation_-th sample
};

}  // namespace parley

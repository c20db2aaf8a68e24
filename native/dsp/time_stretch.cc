#include "dsp/time_stretch.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "dsp/vector_clones.h"

namespace parley {
namespace {
// NetEq's thresholds: a lag is a pitch period when the two segments correlate at 0.9 or more
// (accelerate.cc, kCorrelationThreshold 14746 in Q14); below it only quiet audio is stretched.
constexpr double kVoicedCorrelation = 0.9;
// A larger multiple of the period is taken when it still correlates nearly as well (NetEq's
// "fast accelerate": several periods at once when the buffer is far above its target).
constexpr double kMultipleSlack = 0.03;
// Quiet: RMS below -44 dBov (pauses between words, line noise); any lag joins cleanly there.
constexpr double kQuietRms = 200.0;
// A packet whose level differs from the audio just played by more than this is a syllable's onset
// or decay: a pitch period cut there joins two segments of another loudness, and the blocks around
// it scored 3-10 dB of spectral distance each on the bench's spike traces. Such a packet
// is left alone (the next, steadier one is cut instead). 4.5 dB, in the middle of what measured
// the same (4-4.8 dB); 3 dB held the 300 ms spike trace's drain back (p95 delay 125.25 -> 137 ms),
// 5.4 dB and up let an onset's cut through (LSD 0.110 -> 0.113 dB).
constexpr double kSteadyLevelDb = 4.5;
const double kSteadyPowerRatio = std::pow(10.0, kSteadyLevelDb / 10.0);
constexpr int kSearchRateHz = 4000;
constexpr int kMinLagUs = 2500;
constexpr int kMaxLagUs = 15000;
constexpr int kWindowUs = 10000;  // correlation window: long enough to span a 100 Hz period

size_t UsToSamples(int rate_hz, int us) { return static_cast<size_t>(static_cast<int64_t>(rate_hz) * us / 1'000'000); }

// Linear cross-fade from `from` into `to` over `length` samples (NetEq's CrossFade).
void CrossFade(const int16_t* from, const int16_t* to, size_t length, int16_t* out) {
  const float step = 1.0f / static_cast<float>(length + 1);
  for (size_t i = 0; i < length; ++i) {
    const float weight = step * static_cast<float>(i + 1);
    out[i] = static_cast<int16_t>(std::lrint(from[i] * (1.0f - weight) + to[i] * weight));
  }
}

// Every sum here is of products of 16-bit samples: exact in 64-bit integers (as it was in doubles,
// below 2^53), so the loops may add in any order, and vectorise, and give the same result.
// `a` (the window the lags are compared with) is the same for every lag: its energy is summed
// once by the caller.
struct Sums {
  int64_t cross;
  int64_t energy_b;
};

PARLEY_VECTOR_CLONES
Sums DotSums(const int16_t* a, const int16_t* b, size_t length) {
  int64_t cross = 0;
  int64_t energy_b = 0;
  for (size_t i = 0; i < length; ++i) {
    cross += static_cast<int32_t>(a[i]) * b[i];
    energy_b += static_cast<int32_t>(b[i]) * b[i];
  }
  return {cross, energy_b};
}

PARLEY_VECTOR_CLONES
int64_t Energy(const int16_t* x, size_t length) {
  int64_t energy = 0;
  for (size_t i = 0; i < length; ++i) energy += static_cast<int32_t>(x[i]) * x[i];
  return energy;
}

double Normalised(const Sums& sums, int64_t energy_a) {
  const double norm = std::sqrt(static_cast<double>(energy_a) * static_cast<double>(sums.energy_b));
  return norm > 0 ? static_cast<double>(sums.cross) / norm : 0;
}
}  // namespace

bool TimeStretch::Supports(int sample_rate_hz) {
  return sample_rate_hz >= kSearchRateHz && sample_rate_hz <= 48000 && sample_rate_hz % kSearchRateHz == 0;
}

TimeStretch::TimeStretch(int sample_rate_hz) {
  if (!Supports(sample_rate_hz)) {
    throw std::invalid_argument("time stretch needs a rate that is a multiple of 4 kHz up to 48 kHz");
  }
  decimation_ = static_cast<size_t>(sample_rate_hz / kSearchRateHz);
  min_lag_ = UsToSamples(sample_rate_hz, kMinLagUs);
  max_lag_ = UsToSamples(sample_rate_hz, kMaxLagUs);
  window_ = UsToSamples(sample_rate_hz, kWindowUs);
  min_cross_fade_ = UsToSamples(sample_rate_hz, kMinCrossFadeUs);
  decimated_.resize((window_ + max_lag_) / decimation_);
}

double TimeStretch::Correlation(const int16_t* x, std::ptrdiff_t offset, int64_t window_energy) const {
  return Normalised(DotSums(x - window_, x - window_ + offset, window_), window_energy);
}

bool TimeStretch::Quiet(const int16_t* from, size_t length) const {
  return static_cast<double>(Energy(from, length)) <= kQuietRms * kQuietRms * static_cast<double>(length);
}

bool TimeStretch::Steady(const int16_t* x, size_t n) const {
  const double before = static_cast<double>(Energy(x - window_, window_)) / static_cast<double>(window_);
  const double packet = static_cast<double>(Energy(x, n)) / static_cast<double>(n);
  return packet <= kSteadyPowerRatio * before && before <= kSteadyPowerRatio * packet;
}

size_t TimeStretch::BestLag(const int16_t* x, int sign, size_t max_lag, size_t max_multiple, double* correlation) {
  // Coarse: every `decimation_`-th lag on every `decimation_`-th sample (a 4 kHz search: voice
  // energy is mostly below 2 kHz, and the refinement below repairs the aliasing's small offsets),
  // on a decimated copy of the span searched, so each lag's products are contiguous. The window's
  // start and every lag searched are multiples of `decimation_`.
  const size_t top = min_lag_ + (max_lag - min_lag_) / decimation_ * decimation_;  // the longest lag searched
  const size_t window = window_ / decimation_;
  const size_t span = window + top / decimation_;
  const int16_t* from = x - window_ - (sign < 0 ? top : 0);
  for (size_t i = 0; i < span; ++i) decimated_[i] = from[i * decimation_];
  const int16_t* recent = decimated_.data() + (sign < 0 ? top / decimation_ : 0);
  const int64_t recent_energy = Energy(recent, window);
  size_t best = min_lag_;
  double best_score = -2;
  for (size_t lag = min_lag_; lag <= top; lag += decimation_) {
    const std::ptrdiff_t offset = sign * static_cast<std::ptrdiff_t>(lag / decimation_);
    const double score = Normalised(DotSums(recent, recent + offset, window), recent_energy);
    if (score > best_score) {
      best_score = score;
      best = lag;
    }
  }
  const size_t low = best > min_lag_ + decimation_ ? best - decimation_ : min_lag_;
  const size_t high = std::min(max_lag, best + decimation_);
  const int64_t window_energy = Energy(x - window_, window_);
  best_score = -2;
  for (size_t lag = low; lag <= high; ++lag) {
    const double score = Correlation(x, sign * static_cast<std::ptrdiff_t>(lag), window_energy);
    if (score > best_score) {
      best_score = score;
      best = lag;
    }
  }
  // Accelerate's search reaches 15 ms, where two or three periods of a higher voice correlate as
  // well as one; a lag beyond `max_multiple` must be a single period, so the shortest
  // sub-multiple that correlates nearly as well is the period (extended below within the limit).
  if (max_multiple > 0 && best > max_multiple) {
    for (size_t divisor = best / min_lag_; divisor >= 2; --divisor) {
      const size_t period = (best + divisor / 2) / divisor;
      const double score = Correlation(x, sign * static_cast<std::ptrdiff_t>(period), window_energy);
      if (score >= std::max(kVoicedCorrelation, best_score - kMultipleSlack)) {
        best = period;
        best_score = score;
        break;
      }
    }
  }
  // The largest whole multiple of the period that still correlates nearly as well.
  const size_t period = best;
  for (size_t multiple = 2 * period; multiple <= max_multiple; multiple += period) {
    const double score = Correlation(x, sign * static_cast<std::ptrdiff_t>(multiple), window_energy);
    if (score < std::max(kVoicedCorrelation, best_score - kMultipleSlack)) break;
    best = multiple;
  }
  *correlation = best_score;
  return best;
}

size_t TimeStretch::Accelerate(const int16_t* x, size_t history, size_t n, size_t max_remove, int16_t* out,
                               bool quiet_only, bool fast) {
  std::memcpy(out, x, n * sizeof(int16_t));
  last_correlation_ = 0;
  if (history < window_ || n < min_lag_ + min_cross_fade_) return 0;
  if (quiet_only) {
    // Quiet from the audio just played to the packet's end (a pause between words; a quiet start
    // may be a word's onset, which a cut would blur): any lag joins, and all but a cross-fade of
    // the packet may go.
    if (!Quiet(x - window_, window_ + n)) return 0;
    const size_t lag = std::min(max_remove, n - min_cross_fade_);
    if (lag < min_lag_) return 0;
    CrossFade(x, x + lag, n - lag, out);
    return lag;
  }
  // One pitch period of up to 15 ms may go even from a 20 ms packet, leaving a quarter of it (and
  // at least the shortest cross-fade) to fade over: NetEq's Accelerate works on 30 ms (it borrows
  // from its sync buffer) and so reaches every period of its 2.5-15 ms range. Capped at half the
  // packet, voices below 100 Hz (periods over 10 ms: many men's) could not be accelerated at all:
  // on the bench's 300 ms spike trace a backlog drain sat still through such syllables (late loss
  // 1.17 -> 1.10 %, p95 delay 156 -> 153.5 ms, clicks 5.94 -> 4.95 a minute; LSD 0.11 unchanged;
  // no other trace moved).
  // Beyond one period, at most half of the audio goes (beyond 2x, WSOLA's output turns choppy,
  // and a quiet stretch may be the start of a word), unless `fast` (NetEq's fast accelerate: a
  // spike's backlog above the band): then all the lag range, 3/4 of a 20 ms packet, of whole
  // periods or of quiet audio. Measured when backlogs cut voiced audio only from 55 ms above the
  // target, on the bench's spike traces: p95 delay 153.38 / 151.38 -> 148.63 / 148.63 ms, LSD
  // 0.11 / 0.19 -> 0.11 / 0.17 dB (docs/jitter-buffer.md has today's figures).
  const size_t max_lag = std::min({max_remove, max_lag_, n - std::max(n / 4, min_cross_fade_)});
  if (max_lag < min_lag_) return 0;
  double correlation = 0;
  const size_t most = fast ? max_lag : std::min(max_lag, n / 2);
  size_t lag = BestLag(x, +1, max_lag, most, &correlation);
  last_correlation_ = correlation;
  if (correlation >= kVoicedCorrelation && !Steady(x, n)) return 0;
  // Audio with no pitch goes only if the whole packet is quiet, as a quiet-only cut asks: quiet up
  // to the cut alone, the fade pulled a word's onset at the packet's end down into the pause's
  // level (7.7 dB of spectral distance on its first block, at 45.5 s of the 300 ms spike trace).
  if (correlation < kVoicedCorrelation) {
    if (most < min_lag_ || !Quiet(x - window_, window_ + n)) return 0;
    lag = most;  // any lag joins quiet audio: take the most
  }
  // The join fades over all the audio left in the packet, not over one period: two periods of a
  // gliding voice a lag apart differ a little in phase and level, and the slower the fade, the
  // less it smears the harmonics (on the bench's 300 ms spike trace LSD 0.122 -> 0.116 dB).
  CrossFade(x, x + lag, n - lag, out);
  return lag;
}

size_t TimeStretch::PreemptiveExpand(const int16_t* x, size_t history, size_t n, size_t max_insert, int16_t* out,
                                     bool urgent) {
  last_correlation_ = 0;
  max_insert = std::min(max_insert, urgent ? this->max_insert() : max_lag_);
  const size_t max_lag = history > window_ ? std::min({max_insert, max_lag_, history - window_}) : 0;
  if (n < min_cross_fade_ || max_lag < min_lag_) {
    std::memcpy(out, x, n * sizeof(int16_t));
    return 0;
  }
  double correlation = 0;
  size_t lag = BestLag(x, -1, max_lag, 0, &correlation);
  last_correlation_ = correlation;
  if (correlation < kVoicedCorrelation && !urgent) {
    // Quiet both sides: the period played again and the packet's start it is faded in from (a
    // word starting after a pause must not fade out and start over).
    if (!Quiet(x - window_ - max_lag, window_ + max_lag + std::min(max_lag, n))) {
      std::memcpy(out, x, n * sizeof(int16_t));
      return 0;
    }
    lag = max_lag;
  }
  // out = fade(x[0..], x[-lag..]) over `fade` samples, then x[fade - lag, 0) (the period again),
  // then the period whole as often as the room asks, then x[0, n): each copy ends on x[-1], the
  // sample before both x[-lag] and x[0], so every later join is seamless.
  // Noise-like audio gets one lag: repeated, a random segment turns into a buzz at 1/lag.
  const bool periodic = correlation >= kVoicedCorrelation || lag == max_lag;
  const size_t periods = periodic ? std::max<size_t>(1, max_insert / lag) : 1;
  const size_t fade = std::min(lag, n);
  CrossFade(x, x - lag, fade, out);
  std::memcpy(out + fade, x - lag + fade, (lag - fade) * sizeof(int16_t));
  for (size_t period = 1; period < periods; ++period) std::memcpy(out + period * lag, x - lag, lag * sizeof(int16_t));
  std::memcpy(out + periods * lag, x, n * sizeof(int16_t));
  return periods * lag;
}

void TimeStretch::Merge(int16_t* x, size_t history, size_t n) {
  if (history < history_needed() || n == 0) return;
  double correlation = 0;
  // The lag is found on the history alone (x[0, n) does not follow it): the period of the audio
  // the concealment ended with, whose continuation x[-lag, 0) is faded out.
  const size_t lag = BestLag(x, -1, max_lag_, 0, &correlation);
  last_correlation_ = correlation;
  CrossFade(x - lag, x, std::min(lag, n), x);
}

}  // namespace parley

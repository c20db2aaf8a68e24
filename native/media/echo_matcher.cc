#include "media/echo_matcher.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "dsp/vector_clones.h"

namespace parley {
namespace {

double Energy(const float* signal, size_t size) {
  double sum = 0;
  for (size_t i = 0; i < size; ++i) sum += static_cast<double>(signal[i]) * signal[i];
  return sum;
}

// For the kBlockLags segments of `window_size` starting at signal[0], signal[1], ...: each one's
// cross-correlation with `window` and its energy, summed in the window's order. Float products
// are exact in double, so the multiply-adds the v3 clone fuses round as the baseline's separate
// ones do. GCC's predictive commoning would load each lane's sample once and rotate it through
// registers to the next lane: scalar moves that cost a third more than one vector load a sample.
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-predictive-commoning")))
#endif
PARLEY_VECTOR_CLONES
void ScoreBlock(const float* __restrict signal, const float* __restrict window, size_t window_size, double* __restrict cross,
                double* __restrict energy) {
  constexpr size_t kLanes = EchoMatcher::kBlockLags;
  double block_cross[kLanes] = {};
  double block_energy[kLanes] = {};
  for (size_t i = 0; i < window_size; ++i) {
    const double w = window[i];
    for (size_t lane = 0; lane < kLanes; ++lane) {
      const double x = signal[i + lane];
      block_cross[lane] += x * w;
      block_energy[lane] += x * x;
    }
  }
  for (size_t lane = 0; lane < kLanes; ++lane) {
    cross[lane] = block_cross[lane];
    energy[lane] = block_energy[lane];
  }
}

// score[k] = cross[k] / sqrt(energy[k] × window_energy), 0 where the segment is silent: its
// energy is 0 only if all its samples are (a float's square never underflows in double), and then
// its cross-correlation is 0 too, so flooring the product gives 0 without a branch, which would
// keep the loop from vectorising. The product of energies that are not 0 is far above the floor.
PARLEY_VECTOR_CLONES
void Normalise(const double* __restrict cross, const double* __restrict energy, size_t count, double window_energy,
               float* __restrict score) {
  for (size_t k = 0; k < count; ++k) {
    score[k] = static_cast<float>(cross[k] / std::sqrt(std::max(energy[k] * window_energy, std::numeric_limits<double>::min())));
  }
}

}  // namespace

EchoMatcher::Ring::Ring(size_t size) : size_(size), data_(2 * size + kBlockLags, 0.0f) {}

void EchoMatcher::Ring::Push(float sample) {
  data_[head_] = sample;
  data_[head_ + size_] = sample;
  head_ = head_ + 1 == size_ ? 0 : head_ + 1;
}

namespace {

constexpr size_t SamplesIn(int ms) { return static_cast<size_t>(EchoMatcher::kAnalysisRateHz / 1000 * ms); }

}  // namespace

EchoMatcher::EchoMatcher(int frame_ms, int sent_rate_hz, int caller_rate_hz)
    : sent_decimation_(static_cast<size_t>(std::max(1, sent_rate_hz / kAnalysisRateHz))),
      caller_decimation_(static_cast<size_t>(std::max(1, caller_rate_hz / kAnalysisRateHz))),
      frame_fine_(SamplesIn(frame_ms)),
      sent_{Ring(SamplesIn(kWindowMs + kMaxEchoDelayMs)), Ring(SamplesIn(kWindowMs + kMaxEchoDelayMs) / kCoarseFactor)},
      caller_{Ring(SamplesIn(kWindowMs)), Ring(SamplesIn(kWindowMs) / kCoarseFactor)},
      coarse_scores_(sent_.coarse.size()),
      fine_scores_(sent_.fine.size()) {}

EchoMatcher::Scores::Scores(size_t starts) : cross(starts + kBlockLags), energy(starts + kBlockLags), score(starts) {}

void EchoMatcher::Scores::Compute(const float* signal, const float* window, size_t window_size, double window_energy, size_t first,
                                  size_t last) {
  for (size_t start = first; start <= last; start += kBlockLags) {
    ScoreBlock(signal + start, window, window_size, &cross[start], &energy[start]);
  }
  Normalise(&cross[first], &energy[first], last - first + 1, window_energy, &score[first]);
}

void EchoMatcher::Push(History& history, const int16_t* frame, size_t samples, size_t decimation) const {
  const size_t count = std::min(frame_fine_, history.fine.size());
  for (size_t i = 0; i < count; ++i) {
    // Averaging over the decimation factor is a crude low-pass, enough for a similarity test.
    float sum = 0;
    if (frame != nullptr && (i + 1) * decimation <= samples) {
      for (size_t k = 0; k < decimation; ++k) sum += frame[i * decimation + k];
    }
    history.fine.Push(sum / static_cast<float>(decimation));
  }
  const float* fine = history.fine.oldest() + (history.fine.size() - count);
  for (size_t i = 0; i < count / kCoarseFactor; ++i) {
    float sum = 0;
    for (size_t k = 0; k < kCoarseFactor; ++k) sum += fine[i * kCoarseFactor + k];
    history.coarse.Push(sum / static_cast<float>(kCoarseFactor));
  }
  history.filled = std::min(history.fine.size(), history.filled + count);
}

void EchoMatcher::PushSent(const int16_t* frame, size_t samples) { Push(sent_, frame, samples, sent_decimation_); }

void EchoMatcher::PushCaller(const int16_t* frame, size_t samples) { Push(caller_, frame, samples, caller_decimation_); }

bool EchoMatcher::Measure(Window& window) const {
  const size_t window_fine = caller_.fine.size();
  if (sent_.filled < window_fine) return false;
  window.energy = Energy(caller_.fine.oldest(), window_fine);
  window.coarse_energy = Energy(caller_.coarse.oldest(), caller_.coarse.size());
  window.fine_lags = sent_.filled - window_fine + 1;
  return window.energy > 0 && window.coarse_energy > 0;
}

void EchoMatcher::Refine(const Window& window, size_t from, size_t to, Best& best) {
  const size_t window_fine = caller_.fine.size();
  // The segment at lag 0 starts here; lag L at last_start - L.
  const size_t last_start = sent_.fine.size() - window_fine;
  fine_scores_.Compute(sent_.fine.oldest(), caller_.fine.oldest(), window_fine, window.energy, last_start - to, last_start - from);
  for (size_t lag = from; lag <= to; ++lag) {
    const float c = fine_scores_.score[last_start - lag];
    if (c > best.score) {
      best.score = c;
      best.lag = lag;
    }
  }
}

size_t EchoMatcher::RefineFrom(size_t centre) { return centre >= static_cast<size_t>(kRefineSamples) ? centre - kRefineSamples : 0; }

size_t EchoMatcher::RefineTo(const Window& window, size_t centre) { return std::min(window.fine_lags - 1, centre + kRefineSamples); }

float EchoMatcher::Correlation() {
  Window window;
  return Measure(window) ? Search(window) : 0.0f;
}

bool EchoMatcher::Matches(float threshold) {
  Window window;
  if (!Measure(window)) return 0.0f >= threshold;
  // The tracked lag's range is one the full search refines too (same lags, same scores to the
  // bit), so a score there at the threshold puts the search's maximum there or above.
  if (tracked_lag_ < window.fine_lags) {
    Best near;
    Refine(window, RefineFrom(tracked_lag_), RefineTo(window, tracked_lag_), near);
    if (near.score >= threshold) {
      // The best lag near the old one, not the best of all lags, which the search was skipped to
      // avoid finding. That changes what a later full search refines only when a far lag scored
      // higher still: its coarse pass scores every lag, and refines the best kCandidates, either
      // way; the tracked lag only adds the range of a lag that matched, and this one did, this
      // frame. An echo whose delay steps leaves this range below the threshold, the full search
      // runs and finds the new delay as it always did (native/test/echo_matcher_test.cc).
      tracked_lag_ = near.lag;
      return true;
    }
  }
  return Search(window) >= threshold;
}

float EchoMatcher::Search(const Window& window) {
  // Coarse pass: every lag the filled history allows, keeping the best few.
  const size_t coarse_lags = (window.fine_lags + kCoarseFactor - 1) / kCoarseFactor;
  const size_t coarse_window = caller_.coarse.size();
  // The segment at lag 0 starts here; lag L at last_start - L.
  const size_t last_start = sent_.coarse.size() - coarse_window;
  coarse_scores_.Compute(sent_.coarse.oldest(), caller_.coarse.oldest(), coarse_window, window.coarse_energy, last_start + 1 - coarse_lags,
                         last_start);
  size_t best_lag[kCandidates] = {};
  float best[kCandidates];
  std::fill(best, best + kCandidates, -2.0f);
  for (size_t lag = 0; lag < coarse_lags; ++lag) {
    const float c = coarse_scores_.score[last_start - lag];
    // Most lags are not among the best few (kept in descending order).
    if (c <= best[kCandidates - 1]) continue;
    for (int slot = 0; slot < kCandidates; ++slot) {
      if (c <= best[slot]) continue;
      for (int later = kCandidates - 1; later > slot; --later) {
        best[later] = best[later - 1];
        best_lag[later] = best_lag[later - 1];
      }
      best[slot] = c;
      best_lag[slot] = lag;
      break;
    }
  }
  // Fine pass around each candidate and around the lag the last search found: the echo's delay
  // holds for seconds, and where the low band is weak (a fricative) the coarse pass may not rank
  // it. Candidates are often neighbours on one smooth peak, so their ranges overlap: a lag an
  // earlier candidate already scored is not scored again.
  size_t centres[kCandidates + 1];
  int count = 0;
  for (int slot = 0; slot < kCandidates && best[slot] > -2.0f; ++slot) centres[count++] = best_lag[slot] * kCoarseFactor;
  if (tracked_lag_ < window.fine_lags) centres[count++] = tracked_lag_;
  Best result;
  size_t done_from[kCandidates + 1];
  size_t done_to[kCandidates + 1];
  for (int slot = 0; slot < count; ++slot) {
    const size_t from = RefineFrom(centres[slot]);
    const size_t to = RefineTo(window, centres[slot]);
    const auto scored = [&](size_t lag) {
      bool done = false;
      for (int earlier = 0; earlier < slot; ++earlier) done |= lag >= done_from[earlier] && lag <= done_to[earlier];
      return done;
    };
    // Each run of lags not yet scored is scored in blocks, then ranked in the order of its lags.
    for (size_t lag = from; lag <= to;) {
      if (scored(lag)) {
        ++lag;
        continue;
      }
      size_t end = lag;
      while (end < to && !scored(end + 1)) ++end;
      Refine(window, lag, end, result);
      lag = end + 1;
    }
    done_from[slot] = from;
    done_to[slot] = to;
  }
  tracked_lag_ = result.lag;
  return result.score;
}

}  // namespace parley

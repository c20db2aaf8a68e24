#include "media/echo_matcher.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "dsp/vector_clones.h"
#include "media/cross_correlate.h"

namespace parley {
namespace {

// score[k] = cross[k] / sqrt(energy[k] × window_energy), 0 where the segment is silent: its
// energy is 0 only if all its samples are, and then its cross-correlation is 0 too, so flooring
// the product gives 0 without a branch, which would keep the loop from vectorising. The product
// of energies that are not 0 is far above the floor.
PARLEY_VECTOR_CLONES
void Normalise(const double* __restrict cross, const double* __restrict energy, size_t count, double window_energy,
               float* __restrict score) {
  for (size_t k = 0; k < count; ++k) {
    score[k] = static_cast<float>(cross[k] / std::sqrt(std::max(energy[k] * window_energy, std::numeric_limits<double>::min())));
  }
}

constexpr size_t SamplesIn(int ms) { return static_cast<size_t>(EchoMatcher::kAnalysisRateHz / 1000 * ms); }

size_t Decimation(int rate_hz) { return static_cast<size_t>(std::max(1, rate_hz / EchoMatcher::kAnalysisRateHz)); }

}  // namespace

EchoMatcher::EchoMatcher(int frame_ms, int sent_rate_hz, int caller_rate_hz)
    : frame_fine_(SamplesIn(std::max(0, frame_ms))),
      sent_(SamplesIn(kWindowMs + kMaxEchoDelayMs), frame_fine_, Decimation(sent_rate_hz), kCrossBlockLags),
      caller_(SamplesIn(kWindowMs), frame_fine_, Decimation(caller_rate_hz), kCrossBlockLags),
      coarse_cross_(DecimatedHistory::Rate::kCoarse, caller_.coarse().size(), sent_.coarse().size(),
                    caller_.per_push(DecimatedHistory::Rate::kCoarse)),
      fine_cross_(DecimatedHistory::Rate::kFine, caller_.fine().size(), sent_.fine().size(), caller_.per_push(DecimatedHistory::Rate::kFine)),
      energy_(sent_.fine().size()),
      coarse_score_(sent_.coarse().size()),
      fine_score_(sent_.fine().size()) {}

void EchoMatcher::PushSent(const int16_t* frame, size_t samples) { sent_.Push(frame, samples); }

void EchoMatcher::PushCaller(const int16_t* frame, size_t samples) { caller_.Push(frame, samples); }

bool EchoMatcher::Measure(Window& window) const {
  const size_t window_fine = caller_.fine().size();
  if (sent_.filled() < window_fine) return false;
  window.energy = caller_.fine().Energy(0, window_fine);
  window.coarse_energy = caller_.coarse().Energy(0, caller_.coarse().size());
  window.fine_lags = sent_.filled() - window_fine + 1;
  return window.energy > 0 && window.coarse_energy > 0;
}

void EchoMatcher::Refine(const Window& window, size_t from, size_t to, Best& best) {
  const size_t window_fine = caller_.fine().size();
  // The segment at lag 0 starts here; lag L at last_start - L.
  const size_t last_start = sent_.fine().size() - window_fine;
  const size_t first = last_start - to;
  const size_t count = to - from + 1;
  fine_cross_.Compute(sent_, caller_, first, count);
  sent_.fine().Energies(first, count, window_fine, &energy_[first]);
  Normalise(fine_cross_.cross() + first, &energy_[first], count, window.energy, &fine_score_[first]);
  for (size_t lag = from; lag <= to; ++lag) {
    const float c = fine_score_[last_start - lag];
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
  const size_t coarse_window = caller_.coarse().size();
  // The segment at lag 0 starts here; lag L at last_start - L.
  const size_t last_start = sent_.coarse().size() - coarse_window;
  const size_t first = last_start + 1 - coarse_lags;
  coarse_cross_.Compute(sent_, caller_, first, coarse_lags);
  sent_.coarse().Energies(first, coarse_lags, coarse_window, &energy_[first]);
  Normalise(coarse_cross_.cross() + first, &energy_[first], coarse_lags, window.coarse_energy, &coarse_score_[first]);
  size_t best_lag[kCandidates] = {};
  float best[kCandidates];
  std::fill(best, best + kCandidates, -2.0f);
  for (size_t lag = 0; lag < coarse_lags; ++lag) {
    const float c = coarse_score_[last_start - lag];
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

#include "media/echo_matcher.h"

#include <algorithm>
#include <cmath>

namespace parley {
namespace {

double Energy(const std::vector<float>& signal) {
  double sum = 0;
  for (float x : signal) sum += static_cast<double>(x) * x;
  return sum;
}

}  // namespace

EchoMatcher::EchoMatcher(int frame_ms, int sent_rate_hz, int caller_rate_hz)
    : sent_decimation_(static_cast<size_t>(std::max(1, sent_rate_hz / kAnalysisRateHz))),
      caller_decimation_(static_cast<size_t>(std::max(1, caller_rate_hz / kAnalysisRateHz))),
      frame_fine_(static_cast<size_t>(kAnalysisRateHz / 1000 * frame_ms)) {
  const size_t window = static_cast<size_t>(kAnalysisRateHz / 1000 * kWindowMs);
  const size_t sent = window + static_cast<size_t>(kAnalysisRateHz / 1000 * kMaxEchoDelayMs);
  sent_.fine.assign(sent, 0.0f);
  sent_.coarse.assign(sent / kCoarseFactor, 0.0f);
  caller_.fine.assign(window, 0.0f);
  caller_.coarse.assign(window / kCoarseFactor, 0.0f);
}

void EchoMatcher::Push(History& history, const int16_t* frame, size_t samples, size_t decimation) const {
  // Histories are linear (oldest first) and shifted by one frame: the correlation loops then run
  // over contiguous memory, which costs far more than the shift saves in a ring.
  const size_t count = std::min(frame_fine_, history.fine.size());
  std::copy(history.fine.begin() + static_cast<std::ptrdiff_t>(count), history.fine.end(), history.fine.begin());
  float* fine = history.fine.data() + (history.fine.size() - count);
  for (size_t i = 0; i < count; ++i) {
    // Averaging over the decimation factor is a crude low-pass, enough for a similarity test.
    float sum = 0;
    if (frame != nullptr && (i + 1) * decimation <= samples) {
      for (size_t k = 0; k < decimation; ++k) sum += frame[i * decimation + k];
    }
    fine[i] = sum / static_cast<float>(decimation);
  }
  const size_t coarse_count = count / kCoarseFactor;
  std::copy(history.coarse.begin() + static_cast<std::ptrdiff_t>(coarse_count), history.coarse.end(), history.coarse.begin());
  float* coarse = history.coarse.data() + (history.coarse.size() - coarse_count);
  for (size_t i = 0; i < coarse_count; ++i) {
    float sum = 0;
    for (size_t k = 0; k < kCoarseFactor; ++k) sum += fine[i * kCoarseFactor + k];
    coarse[i] = sum / static_cast<float>(kCoarseFactor);
  }
  history.filled = std::min(history.fine.size(), history.filled + count);
}

void EchoMatcher::PushSent(const int16_t* frame, size_t samples) { Push(sent_, frame, samples, sent_decimation_); }

void EchoMatcher::PushCaller(const int16_t* frame, size_t samples) { Push(caller_, frame, samples, caller_decimation_); }

float EchoMatcher::CorrelationAt(const std::vector<float>& signal, const std::vector<float>& window, size_t lag,
                                 double window_energy) {
  const float* segment = signal.data() + (signal.size() - window.size() - lag);
  double cross = 0;
  double energy = 0;
  for (size_t i = 0; i < window.size(); ++i) {
    cross += static_cast<double>(segment[i]) * window[i];
    energy += static_cast<double>(segment[i]) * segment[i];
  }
  return energy > 0 ? static_cast<float>(cross / std::sqrt(energy * window_energy)) : 0.0f;
}

float EchoMatcher::Correlation() {
  if (sent_.filled < caller_.fine.size()) return 0.0f;
  const double caller_energy = Energy(caller_.fine);
  const double caller_coarse_energy = Energy(caller_.coarse);
  if (caller_energy <= 0 || caller_coarse_energy <= 0) return 0.0f;

  // Coarse pass: every lag the filled history allows, keeping the best few.
  const size_t fine_lags = sent_.filled - caller_.fine.size() + 1;
  const size_t coarse_lags = (fine_lags + kCoarseFactor - 1) / kCoarseFactor;
  size_t best_lag[kCandidates] = {};
  float best[kCandidates];
  std::fill(best, best + kCandidates, -2.0f);
  const std::vector<float>& sent = sent_.coarse;
  const size_t window = caller_.coarse.size();
  // The segment's energy slides with the lag (one sample out, one in) instead of being summed again.
  double segment_energy = 0;
  for (size_t i = sent.size() - window; i < sent.size(); ++i) segment_energy += static_cast<double>(sent[i]) * sent[i];
  for (size_t lag = 0; lag < coarse_lags; ++lag) {
    if (lag > 0) {
      const double out = sent[sent.size() - lag];
      const double in = sent[sent.size() - window - lag];
      segment_energy = std::max(0.0, segment_energy - out * out + in * in);
    }
    const float* segment = sent.data() + (sent.size() - window - lag);
    double cross = 0;
    for (size_t i = 0; i < window; ++i) cross += static_cast<double>(segment[i]) * caller_.coarse[i];
    const float c = segment_energy > 0 ? static_cast<float>(cross / std::sqrt(segment_energy * caller_coarse_energy)) : 0.0f;
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
  if (tracked_lag_ < fine_lags) centres[count++] = tracked_lag_;
  float result = 0.0f;
  size_t result_lag = 0;
  size_t done_from[kCandidates + 1];
  size_t done_to[kCandidates + 1];
  for (int slot = 0; slot < count; ++slot) {
    const size_t centre = centres[slot];
    const size_t from = centre >= static_cast<size_t>(kRefineSamples) ? centre - kRefineSamples : 0;
    const size_t to = std::min(fine_lags - 1, centre + kRefineSamples);
    for (size_t lag = from; lag <= to; ++lag) {
      bool scored = false;
      for (int earlier = 0; earlier < slot; ++earlier) scored |= lag >= done_from[earlier] && lag <= done_to[earlier];
      if (scored) continue;
      const float c = CorrelationAt(sent_.fine, caller_.fine, lag, caller_energy);
      if (c > result) {
        result = c;
        result_lag = lag;
      }
    }
    done_from[slot] = from;
    done_to[slot] = to;
  }
  tracked_lag_ = result_lag;
  return result;
}

}  // namespace parley

#include "dsp/g711_plc.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>

#include "dsp/lpc.h"

namespace parley {
namespace {
constexpr size_t kSamplesPer10Ms = 80;
constexpr size_t kSilentAfter = 480;       // 60 ms
constexpr size_t kCorrelationWindow = 160; // 20 ms
// The synthesis's gain `erased` samples into a loss: 1 for 10 ms, then 20 % less per 10 ms,
// applied as a ramp, silent from 60 ms.
float Gain(size_t erased) {
  if (erased >= kSilentAfter) return 0.0f;
  if (erased < kSamplesPer10Ms) return 1.0f;
  return std::max(0.0f, 1.0f - 0.2f * static_cast<float>(erased - kSamplesPer10Ms) / kSamplesPer10Ms);
}
}  // namespace

void G711Plc::Remember(const int16_t* pcm, size_t samples) {
  if (samples >= kHistorySamples) {
    std::memcpy(history_, pcm + samples - kHistorySamples, sizeof(history_));
    return;
  }
  std::memmove(history_, history_ + samples, (kHistorySamples - samples) * sizeof(int16_t));
  std::memcpy(history_ + kHistorySamples - samples, pcm, samples * sizeof(int16_t));
}

size_t G711Plc::FindPitch() const {
  // Compare the last 20 ms with the 20 ms one candidate period earlier.
  const int16_t* recent = history_ + kHistorySamples - kCorrelationWindow;
  double best = -1.0;
  size_t best_lag = kMinPitch;
  for (size_t lag = kMinPitch; lag <= kMaxPitch; ++lag) {
    double cross = 0.0;
    double energy = 0.0;
    for (size_t i = 0; i < kCorrelationWindow; ++i) {
      const double earlier = recent[static_cast<std::ptrdiff_t>(i) - static_cast<std::ptrdiff_t>(lag)];
      cross += recent[i] * earlier;
      energy += earlier * earlier;
    }
    const double score = energy > 0.0 ? cross / std::sqrt(energy) : 0.0;
    if (score > best) {
      best = score;
      best_lag = lag;
    }
  }
  return best_lag;
}

void G711Plc::PredictJoin() {
  double predictor[kLpcOrder];
  std::fill(std::begin(join_), std::end(join_), 0.0f);
  if (Lpc::Fit(history_ + kHistorySamples - Lpc::kWindowSamples, kLpcOrder, predictor) <= 0) return;
  // The history's own continuation is the repeated period plus the predictor's free response to
  // where the history's last samples differ from those one period before them (the period's
  // run-up): that response, added over the first period, starts the concealment where the
  // waveform was going and leaves the period's full energy (fading the period in from the
  // prediction alone dipped it wherever the signal was noisy or rising, whose prediction decays:
  // the bench's burst-loss trace's log-spectral distance rose 0.39 -> 0.40 dB; this way, 0.38).
  for (size_t i = 0; i < pitch_; ++i) {
    double sample = 0;
    for (size_t k = 0; k < kLpcOrder; ++k) {
      const size_t back = k + 1;
      sample += predictor[k] * (back <= i ? join_[i - back]
                                          : static_cast<double>(history_[kHistorySamples + i - back]) -
                                                history_[kHistorySamples + i - back - pitch_]);
    }
    join_[i] = static_cast<float>(sample);
  }
}

float G711Plc::NextSynthetic() {
  const float sample = period_[pitch_position_];
  pitch_position_ = (pitch_position_ + 1) % pitch_;
  return sample;
}

float G711Plc::Synthesis(size_t erased) {
  float sample = NextSynthetic();
  if (erased < pitch_) {
    // Whole at the first sample, gone by the second period (the join must not repeat).
    sample += (1.0f - static_cast<float>(erased) / static_cast<float>(pitch_)) * join_[erased];
  }
  return sample * Gain(erased);
}

void G711Plc::Conceal(int16_t* out, size_t samples) {
  if (erased_samples_ == 0) {
    pitch_ = FindPitch();
    // One period from the end of the history, its last quarter cross-faded into the samples
    // just before its start (Appendix I's overlap-add at the pitch buffer's end), so that each
    // repetition runs into the next as the source ran into the period's first sample. Cross-
    // fading its first quarter with the period before instead joined every repetition to the
    // audio two periods back: with a pitch a sample off, a step at every wrap of a bright vowel.
    const int16_t* source = history_ + kHistorySamples - pitch_;
    const size_t overlap = pitch_ / 4;
    for (size_t i = 0; i < pitch_; ++i) period_[i] = source[i];
    for (size_t i = 0; i < overlap; ++i) {
      const float weight = static_cast<float>(i + 1) / static_cast<float>(overlap + 1);
      const float before = source[static_cast<std::ptrdiff_t>(i) - static_cast<std::ptrdiff_t>(overlap)];
      float& end = period_[pitch_ - overlap + i];
      end = (1.0f - weight) * end + weight * before;
    }
    pitch_position_ = 0;
    PredictJoin();
  }
  for (size_t i = 0; i < samples; ++i, ++erased_samples_) {
    out[i] = static_cast<int16_t>(std::lround(std::clamp(Synthesis(erased_samples_), -32768.0f, 32767.0f)));
  }
  Remember(out, samples);
}

void G711Plc::OnGoodFrame(int16_t* pcm, size_t samples) {
  if (erased_samples_ > 0 && erased_samples_ < kSilentAfter) {
    // Cross-fade from the continued synthesis into the real signal: 4 ms plus 1 ms per further
    // 10 ms of erasure (Appendix I), bounded by the frame. The synthesis goes on at the gain the
    // concealment had reached (a gain of 0.8 per whole 10 ms there stepped the waveform by up to
    // a fifth of its amplitude at the join: a click after every concealment of 10-19 ms).
    const size_t length = std::min(samples, 32 + 8 * (erased_samples_ / kSamplesPer10Ms));
    for (size_t i = 0; i < length; ++i) {
      const float weight = static_cast<float>(i + 1) / static_cast<float>(length + 1);
      const float synthetic = Synthesis(erased_samples_ + i);
      pcm[i] = static_cast<int16_t>(std::lround(std::clamp(weight * pcm[i] + (1.0f - weight) * synthetic, -32768.0f, 32767.0f)));
    }
  }
  erased_samples_ = 0;
  Remember(pcm, samples);
}

}  // namespace parley

// Packet-loss concealment for 8 kHz G.711 after ITU-T G.711 Appendix I: on a lost frame, repeat
// the last pitch period of the history (pitch found by normalised autocorrelation over 5-15 ms),
// its last quarter cross-faded into the samples just before its start, so each repetition joins
// where the period began; from 10 ms on, attenuate 20 % per 10 ms, silent after
// 60 ms; the first good frame after a loss is cross-faded with the continued synthesis.
// Simplifications against the Appendix, chosen for a 20 ms tick: no 3.75 ms output delay, and the
// number of repeated periods stays one. Without the delay the Appendix's overlap-add at the
// erasure start has no output to fade from: instead the first period carries the history's own
// continuation, an LPC predictor's free response to where the history's end differs from the
// samples one period before it (as NetEq's expand runs its LPC filter on from the last samples),
// fading out over the period. The concealment then starts where the waveform was going, not at
// the sample one period back (a step wherever the pitch is not a whole number of samples or the
// signal is not periodic: a click at the start of each concealment).
#pragma once

#include <cstddef>
#include <cstdint>

namespace parley {

class G711Plc {
 public:
  static constexpr size_t kHistorySamples = 390;  // 48.75 ms at 8 kHz, as the Appendix keeps
  static constexpr size_t kMinPitch = 40;          // 5 ms
  static constexpr size_t kMaxPitch = 120;         // 15 ms
  static constexpr size_t kMaxFrame = 480;
  static constexpr size_t kLpcOrder = 10;

  // Passes a good frame through (cross-fading it after a loss) and records it as history.
  void OnGoodFrame(int16_t* pcm, size_t samples);
  // Writes a concealment frame.
  void Conceal(int16_t* out, size_t samples);

 private:
  void Remember(const int16_t* pcm, size_t samples);
  size_t FindPitch() const;
  float NextSynthetic();
  // The synthesis `erased` samples into the loss: the repeated period, plus over the first period
  // the join that makes it continue the history, at the loss's gain.
  float Synthesis(size_t erased);
  void PredictJoin();

  int16_t history_[kHistorySamples] = {0};
  size_t erased_samples_ = 0;  // samples concealed in the current loss
  size_t pitch_ = kMinPitch;
  size_t pitch_position_ = 0;
  float period_[kMaxPitch] = {0};
  // The LPC predictor's free response, over the first period, to the difference between the
  // history's last samples and those one period before them.
  float join_[kMaxPitch] = {0};
};

}  // namespace parley

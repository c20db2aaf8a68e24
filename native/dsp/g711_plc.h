// Packet-loss concealment for 8 kHz G.711 after ITU-T G.711 Appendix I: on a lost frame, repeat
// the last pitch period of the history (pitch found by normalised autocorrelation over 5-15 ms),
// its last quarter cross-faded into the samples just before its start, so each repetition joins
// where the period began; from 10 ms on, attenuate 20 % per 10 ms, silent after
// 60 ms; the first good frame after a loss is cross-faded with the continued synthesis.
// Simplifications against the Appendix, chosen for a 20 ms tick: no 3.75 ms output delay (the
// fade-in at the erasure start uses the history instead of delayed output), and the number of
// repeated periods stays one.
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

  // Passes a good frame through (cross-fading it after a loss) and records it as history.
  void OnGoodFrame(int16_t* pcm, size_t samples);
  // Writes a concealment frame.
  void Conceal(int16_t* out, size_t samples);

 private:
  void Remember(const int16_t* pcm, size_t samples);
  size_t FindPitch() const;
  float NextSynthetic();

  int16_t history_[kHistorySamples] = {0};
  size_t erased_samples_ = 0;  // samples concealed in the current loss
  size_t pitch_ = kMinPitch;
  size_t pitch_position_ = 0;
  float period_[kMaxPitch] = {0};
};

}  // namespace parley

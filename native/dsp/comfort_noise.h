// Comfort noise generator (RFC 3389): white noise shaped by an all-pole filter from the sender's
// reflection coefficients and scaled to its level, so a silence-suppressed pause sounds like the
// line's background instead of dead air. Also what concealment fades into on a long loss: noise
// with the spectral envelope and level of the speech before the loss (NetEq's expand filters its
// noise through the speech's LPC alike), and the background level measured from the call (flat).
#pragma once

#include <cstddef>
#include <cstdint>

namespace parley {

class ComfortNoise {
 public:
  // RFC 3389 section 3: at most 12 reflection coefficients per CN payload.
  static constexpr size_t kMaxOrder = 12;

  // A CN payload (RFC 3389 section 3): byte 0 the level in -dBov (its top bit must be 0), then
  // zero or more quantised reflection coefficients. False, and nothing changed, when malformed.
  bool SetFromPayload(const uint8_t* payload, size_t length);
  // The RFC 3389 level byte (-dBov, 0-127) of audio at this RMS (16-bit scale): the inverse of
  // what SetFromPayload reads.
  static uint8_t LevelFromRms(float rms);
  // A flat spectrum at this RMS (16-bit scale).
  void SetLevelRms(float rms);
  // The spectral envelope and level of the Lpc::kWindowSamples of audio at `recent`.
  void SetFromAudio(const int16_t* recent);
  // Adds (not writes) `samples` of noise times `gain` (0-1) to `out`, saturating.
  void Add(int16_t* out, size_t samples, float gain);

  float level_rms() const { return rms_; }
  size_t order() const { return order_; }

 private:
  void ClearMemory();

  float rms_ = 0;
  float input_scale_ = 0;
  size_t order_ = 0;
  float lpc_[kMaxOrder] = {0};     // direct form, A(z) = 1 + sum lpc_[i] z^-(i+1)
  // The filter's last order_ outputs, newest first from memory_[head_], each kept twice (at i and
  // i + order_) so they read as one run: a ring, where shifting them every sample cost a memmove.
  float memory_[2 * kMaxOrder] = {0};
  size_t head_ = 0;
  uint32_t random_ = 0x1234567u;
};

}  // namespace parley

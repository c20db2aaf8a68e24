// Voice activity detection per 10-30 ms frame: a statistical model test (Sohn, Kim & Sung, "A
// statistical model-based voice activity detection", IEEE SPL 1999). Every frame's power spectrum
// (Hann window, FFT) is compared, bin by bin over 200-3800 Hz (the band every telephone codec
// keeps), with a tracked noise spectrum; each bin's log-likelihood ratio of "speech + noise" over
// "noise" (Gaussian model, decision-directed a-priori SNR) is averaged, and a frame is speech when
// the mean passes the aggressiveness threshold. Averaging many bins is what keeps it sensitive at
// low SNR: a voiced frame lifts dozens of harmonic bins at once, while stationary noise, measured
// against its own spectrum, stays near zero.
//
// The noise spectrum follows the non-speech frames (recursive average), and a minimum-statistics
// floor (Martin 2001: the minimum of the smoothed spectrum over the last 1-2 s) lifts it when the
// noise rises while the detector is calling everything speech, so a louder room cannot lock it in.
// After the last speech frame the decision stays on for the hangover. Deterministic; no
// allocation after construction.
#pragma once

#include <complex>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dsp/fft.h"

namespace parley {

class Vad {
 public:
  // aggressiveness 0..3 raises the evidence a frame needs to count as speech (like WebRTC's
  // modes): 0 keeps the most speech, 3 lets the fewest noise frames through.
  Vad(int sample_rate_hz, size_t frame_samples, int aggressiveness, int hangover_ms);

  // `samples` may be shorter than the constructed frame (zero-padded), never longer.
  bool Process(const int16_t* frame, size_t samples);
  size_t frame_samples() const { return frame_samples_; }
  // The last frame's own decision, without hangover (what barge-in counts).
  bool last_raw() const { return last_raw_; }
  // The last frame's power over the noise estimate across the analysed band, in dB.
  float last_snr_db() const { return last_snr_db_; }

 private:
  void UpdateNoise(bool speech);
  static std::vector<float> HannWindow(const size_t& samples);

  size_t frame_samples_;
  float threshold_;
  int hangover_samples_;
  Fft fft_;
  const std::vector<float>& window_;  // Hann, shared per frame size (SharedTable)
  std::vector<float> frame_;  // windowed, zero-padded to the FFT size
  std::vector<std::complex<float>> spectrum_;
  size_t first_bin_;
  size_t bin_count_;
  std::vector<float> power_;        // this frame's periodogram, per analysed bin
  std::vector<float> llr_;          // this frame's log-likelihood ratio per analysed bin
  std::vector<float> noise_;        // tracked noise power
  std::vector<float> clean_;        // previous frame's estimated speech power (decision-directed)
  std::vector<float> smoothed_;     // smoothed power for the minimum statistics
  std::vector<float> min_current_;  // minimum of smoothed_ in the current sub-window
  std::vector<float> min_previous_; // and in the one before
  int window_frames_;
  int frames_in_window_ = 0;
  int64_t frames_ = 0;
  int hangover_left_ = 0;
  bool last_raw_ = false;
  float last_snr_db_ = 0.0f;
};

}  // namespace parley

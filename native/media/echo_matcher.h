// Tells whether the caller's recent audio is the bot's own audio coming back (echo): the
// normalised cross-correlation of the last kWindowMs of caller audio with the audio sent over the
// last kMaxEchoDelayMs, maximised over the lag, both decimated to 4 kHz.
//
// Searched coarse to fine, because a full search (1000 lags of 240 samples) cost ~0.8 ms per
// frame: every lag at 1 kHz first, then the best kCandidates coarse lags, and the lag the last
// search matched best, refined at 4 kHz within ±kRefineSamples. Echo keeps its low band (under 500 Hz, what the 1 kHz signal holds) through
// handsets and rooms, so the coarse pass ranks the true lag among its best.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "media/decimated_history.h"
#include "media/sliding_correlation.h"

namespace parley {

class EchoMatcher {
 public:
  static constexpr int kAnalysisRateHz = 4000;
  static constexpr size_t kCoarseFactor = DecimatedHistory::kCoarseFactor;  // for the lag search
  // A browser's echo comes back late: both ends' jitter buffers (Chromium's starts a call near
  // 150-250 ms) and its audio devices. Over WebRTC (test/e2e/echo-barge-in.test.ts, 100 ms of
  // page latency, a loaded 2-core machine) it came back 220-570 ms after the bot sent it.
  static constexpr int kMaxEchoDelayMs = 500;
  static constexpr int kWindowMs = 60;
  // Replayed through the guard, 9 recordings of that browser echo (12 s each) interrupted the bot
  // 76 times with a 240 ms reach and 3 candidates; 9 times at 800 ms (more lags, and the true one
  // falls out of the best 3 more often); at 500 ms 8 times with 3 candidates, 4 with 8, and with
  // the last match's lag refined too, 2 and 1. The guard then costs 2-4x what it did: 20-45 us
  // per frame against 7-8 while the bot talks over its echo, on the loaded machine (the echo
  // canceller costs 44-104 us).
  static constexpr int kCandidates = 8;
  static constexpr int kRefineSamples = 4;
  // Samples are integers (DecimatedHistory), so every sum is exact: the scores are those of one
  // lag at a time in the window's order (to the bit, native/test/echo_matcher_test.cc), however
  // they are summed. So both passes add up per-frame pieces of their cross-correlations kept from
  // earlier searches (SlidingCorrelation: the coarse pass computes one frame's piece at every lag,
  // the fine pass only the lags it had not refined in the last frames), and segments' energies
  // are differences of running sums (EnergyRing). Instructions a frame, both pushes and Matches
  // (callgrind, 16 kHz bot, 8 kHz leg): 144k -> 58k with the caller talking over the echo (a full
  // search every frame), 17.3k -> 7.1k on a steady echo (the tracked range).

  // The sent audio is at `sent_rate_hz` (the bot's), the caller's at `caller_rate_hz` (the leg's
  // speech rate, where the raw capture is before echo cancellation).
  EchoMatcher(int frame_ms, int sent_rate_hz, int caller_rate_hz);

  // One frame each, every frame: what was sent (nullptr when nothing was: silence) and what came in.
  void PushSent(const int16_t* frame, size_t samples);
  void PushCaller(const int16_t* frame, size_t samples);
  // Best correlation (0..1) of the caller's window with the sent audio over every lag; its lag is
  // searched again next time.
  float Correlation();
  // Whether Correlation() would reach `threshold` on this frame. While the echo path holds still,
  // the tracked lag's range alone answers: 0.8 us a frame on a steady echo against 10-11 for the
  // search (one core, AVX2, before the sums were kept). A frame that is not echo still pays for
  // the whole search, which is what shows that no lag reaches the threshold. When the range answers, the tracked lag moves
  // to the best lag of that range, not of every lag, so a later frame's search refines around it
  // where Correlation() might have refined around another peak (a reflection, a pitch multiple):
  // on single-peak paths the decisions matched frame by frame (native/test/echo_matcher_test.cc);
  // on several peaks a later decision may differ.
  bool Matches(float threshold);
  // At 4 kHz: the lag of the last best match (Correlation's, or the range Matches answered from;
  // 0 until one was found).
  size_t lag_samples() const { return tracked_lag_; }

 private:
  // The caller's window this frame: its energies at 4 and 1 kHz, and the lags the sent history
  // holds at 4 kHz.
  struct Window {
    double energy = 0;
    double coarse_energy = 0;
    size_t fine_lags = 0;
  };
  struct Best {
    float score = 0.0f;
    size_t lag = 0;
  };
  // False when there is nothing to match: too little sent audio, or a silent window.
  bool Measure(Window& window) const;
  // The coarse pass, then the refinement of its candidates and of tracked_lag_; tracks the best.
  float Search(const Window& window);
  // Scores lags from..to at 4 kHz into `best` (ranked in the order of the lags).
  void Refine(const Window& window, size_t from, size_t to, Best& best);
  // The range refined around a centre lag.
  static size_t RefineFrom(size_t centre);
  static size_t RefineTo(const Window& window, size_t centre);

  size_t frame_fine_;  // samples per frame at 4 kHz
  DecimatedHistory sent_;    // kMaxEchoDelayMs + kWindowMs
  DecimatedHistory caller_;  // kWindowMs
  size_t tracked_lag_ = 0;   // at 4 kHz: where the last search matched best
  SlidingCorrelation coarse_cross_;
  SlidingCorrelation fine_cross_;
  // Per segment start in the sent history (lag = last start - start): the segment's energy, and
  // its normalised correlation with the window.
  std::vector<double> energy_;
  std::vector<float> coarse_score_;
  std::vector<float> fine_score_;
};

}  // namespace parley

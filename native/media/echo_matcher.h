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

namespace parley {

class EchoMatcher {
 public:
  static constexpr int kAnalysisRateHz = 4000;
  static constexpr size_t kCoarseFactor = 4;  // 4 kHz → 1 kHz for the lag search
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
  // Lags are scored kBlockLags at a time, each lag's sums in registers across the window: the
  // block vectorises (one lag a lane) while every lag still sums in the window's order, so the
  // scores are those of one lag at a time (to the bit, native/test/echo_matcher_test.cc). With a
  // ring instead of shifted histories, ~12 us per search instead of ~45 (one core, AVX2).
  static constexpr size_t kBlockLags = 8;

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
  // search (one core, AVX2). A frame that is not echo still pays for the whole search, which is
  // what shows that no lag reaches the threshold. When the range answers, the tracked lag moves
  // to the best lag of that range, not of every lag, so a later frame's search refines around it
  // where Correlation() might have refined around another peak (a reflection, a pitch multiple):
  // on single-peak paths the decisions matched frame by frame (native/test/echo_matcher_test.cc);
  // on several peaks a later decision may differ.
  bool Matches(float threshold);
  // At 4 kHz: the lag of the last best match (Correlation's, or the range Matches answered from;
  // 0 until one was found).
  size_t lag_samples() const { return tracked_lag_; }

 private:
  // The last `size` samples, contiguous from oldest() without shifting them every frame: each
  // sample is written twice, `size` apart, and the view slides over the doubled buffer.
  class Ring {
   public:
    explicit Ring(size_t size);
    void Push(float sample);
    const float* oldest() const { return data_.data() + head_; }
    size_t size() const { return size_; }

   private:
    size_t size_;
    size_t head_ = 0;
    // 2 × size, and kBlockLags more that a block's spare lanes may read (their scores unused).
    std::vector<float> data_;
  };
  struct History {
    Ring fine;    // at 4 kHz
    Ring coarse;  // the same at 1 kHz
    size_t filled = 0;  // fine samples that hold real audio
  };
  void Push(History& history, const int16_t* frame, size_t samples, size_t decimation) const;

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

  size_t sent_decimation_;
  size_t caller_decimation_;
  size_t frame_fine_;  // samples per frame at 4 kHz
  History sent_;       // kMaxEchoDelayMs + kWindowMs
  History caller_;     // kWindowMs
  size_t tracked_lag_ = 0;  // at 4 kHz: where the last search matched best
  // Per segment start in the sent history (lag = last start - start; kBlockLags over, for a
  // block's spare lanes): the window's cross-correlation with the segment there, the segment's
  // energy, and their normalised correlation.
  struct Scores {
    explicit Scores(size_t starts);
    // Scores the segments starting at first..last (in `signal`) against `window`.
    void Compute(const float* signal, const float* window, size_t window_size, double window_energy, size_t first, size_t last);
    std::vector<double> cross;
    std::vector<double> energy;
    std::vector<float> score;
  };
  Scores coarse_scores_;
  Scores fine_scores_;
};

}  // namespace parley

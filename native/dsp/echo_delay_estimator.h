// Echo-path bulk delay, 0 to a few hundred ms, from the sent (reference) and received (capture)
// audio, so the adaptive filter only has to model the short echo response after it instead of
// covering the whole delay range (a filter that long converges slower and costs more per frame).
//
// Same idea as WebRTC AEC3's delay estimator (a matched filter on decimated audio; the delay is
// where its response peaks), at a far coarser and cheaper grain: both signals are reduced to a
// log-energy envelope per 5 ms sub-block (after pre-emphasis, so the sharper high-band onsets
// dominate), and a decaying cross-covariance of the two envelopes is kept for every lag. The
// envelope survives what defeats a waveform correlation on a phone path: G.711 coding, a mild
// nonlinearity, the phase smear of a room. The peak lag is adopted only when it clearly and
// persistently beats the current one, so the caller talking (uncorrelated with the reference)
// can blur the estimate but not move it, while a drifting or changed path is followed within
// about a second. The adaptive filter's window absorbs the 5 ms grain and small drift.
// Deterministic; no allocation after construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace parley {

class EchoDelayEstimator {
 public:
  // `sub_block_samples` is the envelope grain; lags run 0..max_lag_sub_blocks.
  EchoDelayEstimator(size_t sub_block_samples, size_t max_lag_sub_blocks);

  // One sub-block of reference (what was sent, newest) and capture (what came back).
  void Update(const float* reference, const float* capture);
  // The adopted delay in sub-blocks, or -1 before there is any confident estimate.
  int delay_sub_blocks() const { return delay_; }
  // Normalised envelope correlation at the adopted delay (0..1): how sure the estimate is.
  float confidence() const { return confidence_; }
  // The path moved by `sub_blocks` (found by other means, sooner): the delay and the
  // covariances behind it move with it, so the old peak does not pull the delay back.
  void Move(int sub_blocks);
  // A step of the path is a frame or a few (a jitter buffer's): the fast covariances look this
  // far (sub-blocks) from the current delay, where a spurious peak of the caller's speech is
  // least likely to win.
  static constexpr int kMaxStepSubBlocks = 12;

 private:
  float Envelope(const float* samples, float& emphasis_state);
  // Moves the delay where the fast covariances peak clearly and persistently elsewhere (a step);
  // true when it did.
  bool FollowStep();

  size_t sub_block_samples_;
  size_t lags_;
  std::vector<float> reference_history_;  // centred reference envelope, ring of lags_ entries
  size_t head_ = 0;
  std::vector<float> covariance_;  // per lag, decaying Σ capture(t)·reference(t - lag)
  std::vector<float> fast_covariance_;  // the same, forgetting faster
  std::vector<float> emphasised_;  // Envelope's scratch, a sub-block
  float reference_variance_ = 0.0f;
  float capture_variance_ = 0.0f;
  float reference_mean_ = 0.0f;
  float capture_mean_ = 0.0f;
  float fast_reference_variance_ = 0.0f;
  float fast_capture_variance_ = 0.0f;
  float reference_emphasis_ = 0.0f;
  float capture_emphasis_ = 0.0f;
  int64_t updates_ = 0;
  int delay_ = -1;
  // A lag that must stay the best for some sub-blocks in a row before the delay moves to it.
  struct Candidate {
    int lag = -1;
    int count = 0;
    // Counts `best` as the best once more; true when it has been for `needed` sub-blocks.
    bool Persists(int best, int needed) {
      if (best != lag) {
        lag = best;
        count = 0;
      }
      return ++count >= needed;
    }
    void Drop() { count = 0; }
  };
  Candidate candidate_;
  Candidate fast_candidate_;
  float confidence_ = 0.0f;
};

}  // namespace parley

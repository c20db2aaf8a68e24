#include "dsp/echo_canceller.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "dsp/lane_sum.h"
#include "dsp/vector_clones.h"

namespace parley {
namespace {

constexpr int kBlockMs = 10;
constexpr int kSubBlockMs = 5;
constexpr int kFrameMs = 20;
// The filter window starts this long before the estimated bulk delay: the estimate's 5 ms grain,
// a room's direct path arriving a little early, and drift until the estimator follows it.
constexpr int kWindowMarginMs = 15;
// Largest learning rate (Valin's μ_max) and the one used before the filter has converged, when
// η and the echo estimate mean nothing yet.
constexpr float kMaxStep = 0.5f;
constexpr float kInitialStep = 0.5f;
// Scale of the normalised gradient (the zero-padded error and the constraint keep only part of
// each block's gradient; measured: faster than this oscillates on white noise).
constexpr float kGradientGain = 2.0f;
// Reference power (per sample, int16 units²) below which nothing is learnt: about -60 dBFS.
constexpr float kMinReferencePower = 1000.0f;
// Regularisation of the per-bin normalisation: a floor at about -70 dBFS per sample.
constexpr float kPowerFloor = 100.0f;
// Leakage regression: per-block rates of the per-bin means and of the correlation sums.
constexpr float kLeakMeanRate = 0.05f;
constexpr float kLeakRate = 0.03f;
constexpr float kMinLeakage = 0.02f;
// The regression sees only the residual that follows the echo estimate's fluctuations, so it
// underestimates η while the filter is still far off; the step uses it this many times over
// (measured on speech: 1x stalls at 10-15 dB ERLE, 5x converges as fast as a fixed μ=0.5 and
// still reaches 40 dB).
constexpr float kLeakageStepScale = 5.0f;
// Part of the residual is spread flat over the band, not shaped like the echo estimate: G.711's
// quantisation noise (about 38 dB under the signal) and a loudspeaker's distortion products. It
// is predicted as this fraction (-25 dB) of the echo estimate's mean power per bin. Measured on
// the echo bench's G.711 traces: VAD onsets on echo alone 72 -> 36 a minute (hybrid path) and
// 48 -> 20 (-6 dB room), the caller's double-talk recall 0.971 -> 0.954.
constexpr float kFlatResidual = 0.003f;
// Linear-filter ERLE (dB) it must reach before its learning rate follows Valin's rule: that rate
// scales with the echo estimate, so a filter switched to it while still poor stays poor for
// seconds (measured on the echo bench's -20 dB, 280 ms room: 19-23 dB ERLE over seconds 2-4
// instead of 23-32).
constexpr float kConvergedErleDb = 10.0f;
// Smoothing per block of the cross-spectra that predict the coherent residual (about 45 ms).
// Measured on the echo bench (with 1/N bias): 0.9 follows the sliding delay less (19.5 dB ERLE
// for 22.5), 0.7 cost the caller's double-talk recall as much for no gain.
constexpr float kCoherenceSmoothing = 0.8f;
// An error uncorrelated with the echo estimate leaves an expected squared coherence of about
// 1/N in cross-spectra smoothed over N = (1 + a) / (1 - a) effective blocks: twice that is taken
// off. Measured on the echo bench (sliding-delay ERLE; double-talk caller SNR and VAD recall on
// the -6 dB room): none 25.8 dB, 6.1 dB / 0.895; 1/N 22.5 dB, 7.9 dB / 0.917; 2/N 19.6 dB,
// 9.2 dB / 0.934 (without the coherent residual: 10.3 dB, 11.3 dB / 0.944). Capping it at a
// fraction of the echo estimate spared the caller but lost all of the drift's gain: the
// residual of a filter that cannot follow is a large part of its estimate.
constexpr float kCoherenceBias = 2.0f * (1.0f - kCoherenceSmoothing) / (1.0f + kCoherenceSmoothing);
// A converged filter is kept every kKeepEveryBlocks while its ERLE is above kKeepErleDb, and
// taken back when the echo path steps (PlaceWindow).
constexpr float kKeepErleDb = 20.0f;
constexpr int kKeepEveryBlocks = 50;
// A block whose error is this much louder than its capture is the filter adding junk.
constexpr float kJunkRatio = 2.0f;
// Output power smoothing (per block) for ERLE and for the divergence check.
constexpr float kEnergySmoothing = 0.95f;
// A block whose error is this far (6 dB) above the residual echo predicted in it holds what no
// echo estimate explains, the caller: the ERLE reported (EchoCancellerStats::erle_db, which
// barge-in trusts the output on) leaves it out. With it in, a caller at the echo's level read as
// an ERLE of 1-5 dB, the trust went 500 ms after their onset, and Geigel's test held them for
// seconds. Measured over 4 echo paths x 4 start times x bench/vad's 8 utterances: worst decision
// 3.8 -> 2.1 s, three of 0.6-3.8 s -> 0.5-0.6 s (10 dB: one; 3 dB: one more never decided); the
// moving path's 36 walks unchanged. The canceller's own decisions keep the ERLE of every block
// (erle_db_): on them, a path step's blocks held the ERLE up and a filter was kept mid-relearn
// (the moving path's seed 8 ended unconverged).
constexpr float kDoubleTalkOverResidual = 3.98f;
// A converged filter's leakage regression holds still in a block after one whose error was this far
// (8 dB) over the residual echo predicted in it: the caller's speech, which no echo estimate
// explains (Valin 2007 slows the leakage's update in double talk for the same reason). Their
// error's power fluctuations, far larger than the echo's, follow the echo estimate's by chance (the
// bot's and the caller's syllables rising together): η rose from its floor (-17 dB) to -10 ... 0 dB
// within 40 ms of their onset, the residual prediction with it, and barge-in's double-talk test
// took the caller's next frames for echo. A moved path's error soon turns coherent with the echo
// estimate, which the prediction follows; one that stays over it (a path stepped by 20 ms whose
// filter relearns slowly at a held η) releases the hold after kMaxLeakageHoldBlocks. Before
// convergence the error is mostly echo not yet learnt, which no prediction explains. Measured over
// bench/vad's cancelled-echo grid (8 utterances x 4 echo paths x 4 start times): over 160 ms
// 41 -> 37 of 128, never 1 -> 0, the worst 2.1 s -> 580 ms. At 6 dB (kDoubleTalkOverResidual)
// 35, but the sliding path's linear ERLE fell 14.4 -> 11.1 dB over 4-8 s
// (test/unit/native/echo-canceller.test.ts: its error runs 6-8 dB over the prediction while the
// coherence catches up); at 10 dB 38. With no release the echo bench's 20 ms step trace lost 6.5
// dB of steady ERLE (41.9 -> 35.4); released after 200 or 300 ms it kept 41.9, after 500 not.
// The echo bench's double talk: caller SNR 9.9 -> 10.7 and 8.6 -> 9.8 dB, VAD recall 0.929 ->
// 0.927 and 0.971 -> 0.961 (less of the caller is taken for residual echo, and the VAD's noise
// estimate hears more of the echo's residue).
constexpr float kLeakageHoldOverResidual = 6.31f;
constexpr int kMaxLeakageHoldBlocks = 30;
// A filter whose output stays this many times above its input for kDivergedBlocks is reset.
constexpr float kDivergedRatio = 4.0f;
constexpr int kDivergedBlocks = 20;
// The drift's delay is applied to the response in steps of this much (samples): each is a pass
// over every weight.
constexpr float kDriftApplySamples = 0.02f;
// DC blocker corner (Hz): the filter cannot model an offset, and clipping peaks carry one.
constexpr double kDcCornerHz = 20.0;

size_t FftSizeFor(size_t block) {
  // Overlap-save needs block + partition - 1 <= FFT size, with one block per partition.
  size_t size = 4;
  while (size < 2 * block) size *= 2;
  return size;
}

// The per-bin loops over partitions, as functions of their own so the compiler knows their
// arrays do not overlap (restrict on locals inside a loop it ignored: the loops stayed scalar);
// inlined into each clone of ProcessBlock.
// Bins at a time in the loops over partitions (EchoEstimate, GradientSteps): two vectors of eight
// per array held in registers across the partitions. A spectrum's bins are a power of two of them
// plus the Nyquist bin, a chunk of one float (FftSizeFor: at least 256 points, so 128 bins and
// more). Written in vector extensions, not left to the vectoriser: its chunks spilled their sums
// and stored them back one float at a time (about 60 instructions a chunk), walked the ring with
// a pointer per array, and paired partitions for the Nyquist bin with lane inserts. The same
// operations in the same order on every bin: the same floats (the x86-64-v3 clone's multiply-adds
// fuse as before). Two SSE2 registers a vector on the baseline clone.
constexpr size_t kChunkBins = 16;
// A chunk as `kCount` values of kWidth floats each: kChunkBins / 8 vectors of eight, or the
// Nyquist bin's one float. Eight at a float's alignment: a load or a store through one is an
// unaligned vector move. A member typedef, named wherever it is used: as a template argument, or
// through `auto`, the type loses its attributes and the baseline clone's loads fault.
template <size_t kWidth>
struct Lanes;
template <>
struct Lanes<1> {
  typedef float Type;
};
template <>
struct Lanes<8> {
  typedef float Type __attribute__((vector_size(8 * sizeof(float)), aligned(alignof(float))));
};

template <size_t kWidth>
inline __attribute__((always_inline)) const typename Lanes<kWidth>::Type* As(const float* p) {
  return reinterpret_cast<const typename Lanes<kWidth>::Type*>(p);
}
template <size_t kWidth>
inline __attribute__((always_inline)) typename Lanes<kWidth>::Type* As(float* p) {
  return reinterpret_cast<typename Lanes<kWidth>::Type*>(p);
}

// visit(at, v) for the chunk's kCount values of each of `count` partitions `stride` floats apart:
// one run of the reference ring, whose slots and the weights' partitions step together, so one
// offset `at` from the run's chunk starts serves both.
template <size_t kCount, typename Visit>
inline __attribute__((always_inline)) void ForEachInRun(size_t count, size_t stride, Visit visit) {
  const size_t end = count * stride;
  for (size_t at = 0; at < end; at += stride) {
    for (size_t v = 0; v < kCount; ++v) visit(at, v);
  }
}

// re + i·im += X_p·W_p over one run, from these chunk starts.
template <size_t kWidth, size_t kCount>
inline __attribute__((always_inline)) void AccumulateRun(const float* x_re, const float* x_im, const float* w_re,
                                                         const float* w_im, size_t count, size_t stride,
                                                         typename Lanes<kWidth>::Type (&re)[kCount],
                                                         typename Lanes<kWidth>::Type (&im)[kCount]) {
  typedef typename Lanes<kWidth>::Type Lane;
  ForEachInRun<kCount>(count, stride, [&](size_t at, size_t v) {
    const Lane xr = As<kWidth>(x_re + at)[v];
    const Lane xi = As<kWidth>(x_im + at)[v];
    const Lane wr = As<kWidth>(w_re + at)[v];
    const Lane wi = As<kWidth>(w_im + at)[v];
    re[v] += xr * wr - xi * wi;
    im[v] += xr * wi + xi * wr;
  });
}

// sum = Σ_p X_p·W_p over the chunk from `from`, with X_p in slot (head + p) mod partitions of the
// reference ring. The partitions are the inner loop, the chunk's sums held in registers:
// partition by partition over every bin, the sums went through memory once per partition (a load
// and a store of each for two multiply-adds). Each bin's sum still adds the partitions in order,
// from zero: the same floats. The ring is walked in its two runs (head.. then ..head).
template <size_t kWidth, size_t kCount>
inline __attribute__((always_inline)) void EstimateChunk(const float* __restrict x_re, const float* __restrict x_im,
                                                         size_t head, const float* __restrict w_re,
                                                         const float* __restrict w_im, size_t partitions, size_t bins,
                                                         size_t from, float* __restrict sum_re,
                                                         float* __restrict sum_im) {
  const size_t tail = partitions - head;  // the first run's slots, head..partitions-1
  typename Lanes<kWidth>::Type re[kCount] = {};
  typename Lanes<kWidth>::Type im[kCount] = {};
  AccumulateRun<kWidth, kCount>(x_re + head * bins + from, x_im + head * bins + from, w_re + from, w_im + from, tail,
                                bins, re, im);
  AccumulateRun<kWidth, kCount>(x_re + from, x_im + from, w_re + tail * bins + from, w_im + tail * bins + from, head,
                                bins, re, im);
  for (size_t v = 0; v < kCount; ++v) {
    As<kWidth>(sum_re + from)[v] = re[v];
    As<kWidth>(sum_im + from)[v] = im[v];
  }
}

// sum = Σ_p X_p·W_p over every bin.
inline __attribute__((always_inline)) void EchoEstimate(const float* __restrict x_re, const float* __restrict x_im,
                                                        size_t head, const float* __restrict w_re,
                                                        const float* __restrict w_im, size_t partitions, size_t bins,
                                                        float* __restrict sum_re, float* __restrict sum_im) {
  const size_t nyquist = bins - 1;
  for (size_t from = 0; from < nyquist; from += kChunkBins) {
    EstimateChunk<8, kChunkBins / 8>(x_re, x_im, head, w_re, w_im, partitions, bins, from, sum_re, sum_im);
  }
  EstimateChunk<1, 1>(x_re, x_im, head, w_re, w_im, partitions, bins, nyquist, sum_re, sum_im);
}

// Valin's μ per bin: min(μ_max, scale·|Ŷ|²/|E|²), scale being the leakage (times its step scale).
inline __attribute__((always_inline)) void LeakageStep(float scale, const float* __restrict echo_power,
                                                       const float* __restrict error_power, float* __restrict mu,
                                                       size_t bins) {
  for (size_t k = 0; k < bins; ++k) mu[k] = std::min(kMaxStep, scale * echo_power[k] / (error_power[k] + 1.0f));
}

// μ into the normalised step: gain·μ / (partitions·|X|² + floor).
inline __attribute__((always_inline)) void NormaliseStep(float gain, float partitions, float floor,
                                                         const float* __restrict reference_power,
                                                         float* __restrict step, size_t bins) {
  for (size_t k = 0; k < bins; ++k) step[k] = gain * step[k] / (partitions * reference_power[k] + floor);
}

// W_p += step·conj(X_p)·E over one run, from these chunk starts. X is read where it is multiplied
// (named as values first, GCC loaded them into registers: 23 instructions a chunk, not 19).
template <size_t kWidth, size_t kCount>
inline __attribute__((always_inline)) void LearnRun(const typename Lanes<kWidth>::Type (&step)[kCount],
                                                    const typename Lanes<kWidth>::Type (&e_re)[kCount],
                                                    const typename Lanes<kWidth>::Type (&e_im)[kCount],
                                                    const float* x_re, const float* x_im, float* w_re, float* w_im,
                                                    size_t count, size_t stride) {
  typedef typename Lanes<kWidth>::Type Lane;
  ForEachInRun<kCount>(count, stride, [&](size_t at, size_t v) {
    const Lane* xr = As<kWidth>(x_re + at);
    const Lane* xi = As<kWidth>(x_im + at);
    As<kWidth>(w_re + at)[v] += step[v] * (xr[v] * e_re[v] + xi[v] * e_im[v]);
    As<kWidth>(w_im + at)[v] += step[v] * (xr[v] * e_im[v] - xi[v] * e_re[v]);
  });
}

// W_p += step·conj(X_p)·E for every partition over the chunk from `from`, X_p in slot (head + p)
// mod partitions: the chunk's step and error held in registers across the partitions (partition
// by partition over every bin, they were loaded again for each), the ring walked in its two runs.
template <size_t kWidth, size_t kCount>
inline __attribute__((always_inline)) void LearnChunk(const float* __restrict step, const float* __restrict e_re,
                                                      const float* __restrict e_im, const float* __restrict x_re,
                                                      const float* __restrict x_im, size_t head,
                                                      float* __restrict w_re, float* __restrict w_im,
                                                      size_t partitions, size_t bins, size_t from) {
  const size_t tail = partitions - head;
  typename Lanes<kWidth>::Type chunk_step[kCount];
  typename Lanes<kWidth>::Type chunk_re[kCount];
  typename Lanes<kWidth>::Type chunk_im[kCount];
  for (size_t v = 0; v < kCount; ++v) {
    chunk_step[v] = As<kWidth>(step + from)[v];
    chunk_re[v] = As<kWidth>(e_re + from)[v];
    chunk_im[v] = As<kWidth>(e_im + from)[v];
  }
  LearnRun<kWidth, kCount>(chunk_step, chunk_re, chunk_im, x_re + head * bins + from, x_im + head * bins + from,
                           w_re + from, w_im + from, tail, bins);
  LearnRun<kWidth, kCount>(chunk_step, chunk_re, chunk_im, x_re + from, x_im + from, w_re + tail * bins + from,
                           w_im + tail * bins + from, head, bins);
}

// W_p += step·conj(X_p)·E for every partition and bin.
inline __attribute__((always_inline)) void GradientSteps(const float* __restrict step, const float* __restrict e_re,
                                                         const float* __restrict e_im, const float* __restrict x_re,
                                                         const float* __restrict x_im, size_t head,
                                                         float* __restrict w_re, float* __restrict w_im,
                                                         size_t partitions, size_t bins) {
  const size_t nyquist = bins - 1;
  for (size_t from = 0; from < nyquist; from += kChunkBins) {
    LearnChunk<8, kChunkBins / 8>(step, e_re, e_im, x_re, x_im, head, w_re, w_im, partitions, bins, from);
  }
  LearnChunk<1, 1>(step, e_re, e_im, x_re, x_im, head, w_re, w_im, partitions, bins, nyquist);
}

// w *= r (complex, per bin)
inline __attribute__((always_inline)) void RotateBins(const float* __restrict r_re, const float* __restrict r_im,
                                                      float* __restrict w_re, float* __restrict w_im, size_t bins) {
  for (size_t k = 0; k < bins; ++k) {
    const float re = w_re[k] * r_re[k] - w_im[k] * r_im[k];
    w_im[k] = w_re[k] * r_im[k] + w_im[k] * r_re[k];
    w_re[k] = re;
  }
}

// The residual prediction's per-bin loop (EchoCanceller::PredictResidual), a function of its own
// for the same reason.
inline __attribute__((always_inline)) void CoherentResidual(
    const float* __restrict e_re, const float* __restrict e_im, const float* __restrict y_re,
    const float* __restrict y_im, const float* __restrict error_power, const float* __restrict echo_power,
    float leakage, float flat, float* __restrict cross_re, float* __restrict cross_im,
    float* __restrict error_smoothed, float* __restrict echo_smoothed, float* __restrict residual, size_t bins) {
  const float keep = kCoherenceSmoothing;
  const float take = 1.0f - kCoherenceSmoothing;
  for (size_t k = 0; k < bins; ++k) {
    // E·conj(Ŷ)
    cross_re[k] = keep * cross_re[k] + take * (e_re[k] * y_re[k] + e_im[k] * y_im[k]);
    cross_im[k] = keep * cross_im[k] + take * (e_im[k] * y_re[k] - e_re[k] * y_im[k]);
    echo_smoothed[k] = keep * echo_smoothed[k] + take * echo_power[k];
    error_smoothed[k] = keep * error_smoothed[k] + take * error_power[k];
    // Less the bias an uncorrelated error (the caller) leaves in it.
    const float coherent = (cross_re[k] * cross_re[k] + cross_im[k] * cross_im[k]) / (echo_smoothed[k] + kPowerFloor) -
                           kCoherenceBias * error_smoothed[k];
    residual[k] = std::max(leakage * echo_power[k] + flat, coherent);
  }
}

// The DC blocker, y[n] = x[n] - x[n-1] + pole·y[n-1], over `count` samples of `input` (nullptr:
// silence) into `output`. The differences first, in a loop that vectorises, then the recursion,
// a serial chain, alone: per sample in one loop with the ring's wrap, the two blockers were 24
// instructions a sample (callgrind), a sixteenth of the canceller. Each sample takes the same
// floats (the difference, then the pole's term added). Cloned for AVX2's conversion of sixteen-bit
// samples to floats (on the baseline, SSE2 unpacks them: 1.2 k instructions a call-frame for the
// differences), with no fused multiply-adds: fused, the pole's term would move the output's last
// bits.
PARLEY_VECTOR_CLONES __attribute__((optimize("fp-contract=off")))
void DcBlock(const int16_t* __restrict input, size_t count, float pole, float& last_input, float& last_output,
             float* __restrict output) {
  if (input == nullptr) {
    std::fill_n(output, count, 0.0f);
    output[0] = 0.0f - last_input;
    last_input = 0.0f;
  } else {
    output[0] = static_cast<float>(input[0]) - last_input;
    for (size_t i = 1; i < count; ++i) output[i] = static_cast<float>(input[i]) - static_cast<float>(input[i - 1]);
    last_input = static_cast<float>(input[count - 1]);
  }
  float out = last_output;
  // Unrolled: a multiply, an add and a store a sample, where the loop's own count, compare and
  // branch had been half of it.
#pragma GCC unroll 8
  for (size_t i = 0; i < count; ++i) {
    out = output[i] + pole * out;
    output[i] = out;
  }
  last_output = out;
}

}  // namespace

EchoCanceller::EchoCanceller(const EchoCancellerConfig& config)
    : config_(config),
      frame_(static_cast<size_t>(config.sample_rate_hz / 1000 * kFrameMs)),
      block_(static_cast<size_t>(config.sample_rate_hz / 1000 * kBlockMs)),
      fft_size_(FftSizeFor(block_)),
      bins_(fft_size_ / 2 + 1),
      partitions_(static_cast<size_t>((config.tail_ms + kBlockMs - 1) / kBlockMs)),
      max_start_blocks_(config.max_delay_ms / kBlockMs),
      fft_(fft_size_),
      delay_estimator_(block_ * kSubBlockMs / kBlockMs, static_cast<size_t>(config.max_delay_ms / kSubBlockMs)),
      step_detector_(block_, EchoDelayEstimator::kMaxStepSubBlocks * kSubBlockMs / kBlockMs),
      drift_tracker_(fft_size_, block_, partitions_),
      suppressor_(block_, fft_size_),
      reference_ring_((static_cast<size_t>(max_start_blocks_) + partitions_ + 1) * block_ + fft_size_, 0.0f),
      reference_re_(partitions_ * bins_, 0.0f),
      reference_im_(partitions_ * bins_, 0.0f),
      weights_re_(partitions_ * bins_, 0.0f),
      weights_im_(partitions_ * bins_, 0.0f),
      kept_re_(partitions_ * bins_, 0.0f),
      kept_im_(partitions_ * bins_, 0.0f),
      sum_re_(bins_, 0.0f),
      sum_im_(bins_, 0.0f),
      error_re_(bins_, 0.0f),
      error_im_(bins_, 0.0f),
      reference_power_(bins_, 0.0f),
      window_(fft_size_, 0.0f),
      response_(partitions_ * block_, 0.0f),
      echo_estimate_(block_, 0.0f),
      error_(block_, 0.0f),
      error_power_(bins_, 0.0f),
      echo_power_(bins_, 0.0f),
      residual_power_(bins_, 0.0f),
      step_(bins_, 0.0f),
      cross_re_(bins_, 0.0f),
      cross_im_(bins_, 0.0f),
      echo_smoothed_(bins_, 0.0f),
      error_smoothed_(bins_, 0.0f),
      error_mean_(bins_, 0.0f),
      echo_mean_(bins_, 0.0f),
      capture_block_(block_, 0.0f),
      frame_out_(frame_, 0.0f) {
  if (config.sample_rate_hz != 8000 && config.sample_rate_hz != 16000) {
    throw std::invalid_argument("echo canceller sample rate must be 8000 or 16000");
  }
  if (config.max_delay_ms < 0 || config.max_delay_ms > 500) throw std::invalid_argument("echo canceller max delay must be 0..500 ms");
  if (config.tail_ms < kBlockMs || config.tail_ms > 250) throw std::invalid_argument("echo canceller tail must be 10..250 ms");
  suppressor_.set_floor_db(config.suppression_floor_db);
}

void EchoCanceller::Reset() {
  std::fill(weights_re_.begin(), weights_re_.end(), 0.0f);
  std::fill(weights_im_.begin(), weights_im_.end(), 0.0f);
  leakage_ = 0.25f;
  leak_cross_ = leak_echo_ = 0.0f;
  adapted_ = 0.0f;
  diverging_blocks_ = 0;
  stats_.converged = false;
  has_kept_ = false;
  drift_tracker_.Reset();
  drift_pending_ = 0.0f;
}

// Cloned for AVX2's wider rotation over every partition's weights, but with no fused
// multiply-adds: this pass was only ever compiled for the baseline, and fused, its weights (and
// the canceller's output) would move in their last bits.
PARLEY_VECTOR_CLONES __attribute__((optimize("fp-contract=off")))
void EchoCanceller::DelayResponse(float samples) {
  // e^{-2πik·samples/N} by recurrence, in double so the bins' phasors stay on the unit circle.
  const double turn = -2.0 * 3.14159265358979323846 * static_cast<double>(samples) / static_cast<double>(fft_size_);
  const double step_re = std::cos(turn);
  const double step_im = std::sin(turn);
  double re = 1.0;
  double im = 0.0;
  for (size_t k = 0; k < bins_; ++k) {
    window_[k] = static_cast<float>(re);
    step_[k] = static_cast<float>(im);
    const double next_re = re * step_re - im * step_im;
    im = re * step_im + im * step_re;
    re = next_re;
  }
  for (size_t p = 0; p < partitions_; ++p) {
    RotateBins(window_.data(), step_.data(), &weights_re_[p * bins_], &weights_im_[p * bins_], bins_);
  }
}

void EchoCanceller::ComputeReferenceSpectrum(size_t partition, int start_blocks) {
  // The window of fft_size samples ending (start + partition) blocks before the newest sample.
  const size_t ring = reference_ring_.size();
  const size_t back = (static_cast<size_t>(start_blocks) + partition) * block_ + fft_size_;
  const size_t from = (reference_head_ + ring - back) % ring;
  // At most two runs: up to the ring's end, then from its start.
  const size_t first = std::min(fft_size_, ring - from);
  std::copy_n(&reference_ring_[from], first, window_.data());
  std::copy_n(reference_ring_.data(), fft_size_ - first, window_.data() + first);
  const size_t slot = ((spectra_head_ + partition) % partitions_) * bins_;
  fft_.Forward(window_.data(), &reference_re_[slot], &reference_im_[slot]);
}

void EchoCanceller::Constrain(size_t p) {
  float* re = &weights_re_[p * bins_];
  float* im = &weights_im_[p * bins_];
  fft_.Inverse(re, im, 0, block_, window_.data());
  std::fill(window_.begin() + static_cast<std::ptrdiff_t>(block_), window_.end(), 0.0f);
  fft_.Forward(window_.data(), re, im);
}

void EchoCanceller::ShiftResponse(int samples) {
  if (samples == 0) return;
  // The partitions' responses laid end to end (each holds valid taps up to fft_size - block past
  // its start: an unconstrained one reaches into the next), moved, and cut back into blocks.
  const size_t length = partitions_ * block_;
  std::fill(response_.begin(), response_.end(), 0.0f);
  for (size_t p = 0; p < partitions_; ++p) {
    const size_t taps = fft_size_ - block_ + 1;
    fft_.Inverse(&weights_re_[p * bins_], &weights_im_[p * bins_], 0, taps, window_.data());
    for (size_t n = 0; n < taps && p * block_ + n < length; ++n) response_[p * block_ + n] += window_[n];
  }
  for (size_t p = 0; p < partitions_; ++p) {
    std::fill(window_.begin(), window_.end(), 0.0f);
    for (size_t n = 0; n < block_; ++n) {
      const long from = static_cast<long>(p * block_ + n) - samples;
      if (from >= 0 && from < static_cast<long>(length)) window_[n] = response_[static_cast<size_t>(from)];
    }
    fft_.Forward(window_.data(), &weights_re_[p * bins_], &weights_im_[p * bins_]);
  }
}

void EchoCanceller::PlaceWindow(int start_blocks, int path_moved_blocks, bool stepped) {
  // The echo at a given lag moves to an earlier partition when the window starts later: keep
  // what the filter learnt by shifting its partitions, not relearning them.
  const int shift = start_blocks - start_blocks_;
  const int count = static_cast<int>(partitions_);
  // A converged filter whose delay moves by a block or more, within a step's reach (a jitter
  // buffer inserting or dropping a frame or a few): the path moved, and the response moves by as
  // many blocks as the path did. Since the step the filter has spent the estimator's few hundred
  // ms learning the moved echo; the filter kept before that is the better start. Otherwise
  // (before convergence, a jump farther than a step, whose first estimate was wrong as often as
  // the path changed, or a move under a block, which the 5 ms estimate of a slow drift makes)
  // the response keeps its lag.
  const int max_step_blocks = EchoDelayEstimator::kMaxStepSubBlocks * kSubBlockMs / kBlockMs;
  const bool path_moved = stepped || (stats_.converged && path_moved_blocks != 0 && std::abs(path_moved_blocks) <= max_step_blocks);
  if (path_moved && has_kept_) {
    weights_re_ = kept_re_;
    weights_im_ = kept_im_;
  }
  const int weight_shift = path_moved ? shift - path_moved_blocks : shift;
  // The response keeps its place in the window (after a step the detector found, ShiftResponse
  // then moves it by the rest): nothing to copy.
  if (weight_shift != 0) {
    for (std::vector<float>* weights : {&weights_re_, &weights_im_}) {
      float* w = weights->data();
      const auto move = [&](int p) {
        float* to = w + static_cast<size_t>(p) * bins_;
        const int from = p + weight_shift;
        if (from >= 0 && from < count) {
          std::copy_n(w + static_cast<size_t>(from) * bins_, bins_, to);
        } else {
          std::fill_n(to, bins_, 0.0f);
        }
      };
      // Copy in the direction that never overwrites a partition before it is read.
      if (weight_shift > 0) {
        for (int p = 0; p < count; ++p) move(p);
      } else {
        for (int p = count - 1; p >= 0; --p) move(p);
      }
    }
  }
  start_blocks_ = start_blocks;
  drift_tracker_.Restart();
  // The step's normalisation (a running mean of the newest partition's power) restarts from the
  // reference the window now holds: the old window's newest block is another stretch of the bot's
  // speech, and after its pause the stale power was tens of dB short, so the first steps blew
  // the filter up (measured on the echo bench's 100 ms room: output louder than the capture, and
  // passed through raw, from the first delay estimate at 0.32 s to 0.7 s).
  std::fill(reference_power_.begin(), reference_power_.end(), 0.0f);
  for (size_t p = 0; p < partitions_; ++p) {
    ComputeReferenceSpectrum(p, start_blocks_);
    const size_t slot = ((spectra_head_ + p) % partitions_) * bins_;
    for (size_t k = 0; k < bins_; ++k) {
      const float power = reference_re_[slot + k] * reference_re_[slot + k] + reference_im_[slot + k] * reference_im_[slot + k];
      reference_power_[k] += power / static_cast<float>(partitions_);
    }
  }
  // A jump (not a drift step) leaves most of the echo outside what was learnt: learn afresh at
  // the initial rate, or Valin's rate, which scales with the (now missing) echo estimate, would
  // never start.
  if (std::abs(shift) * 4 > count) {
    adapted_ = 0.0f;
    stats_.converged = false;
  }
}

void EchoCanceller::Process(const int16_t* capture, const int16_t* sent, int16_t* output) {
  const float pole = static_cast<float>(1.0 - 2.0 * 3.14159265358979323846 * kDcCornerHz / config_.sample_rate_hz);
  bool sent_silent = true;
  for (size_t i = 0; sent != nullptr && i < frame_ && sent_silent; ++i) sent_silent = sent[i] == 0;
  silent_reference_samples_ = sent_silent ? silent_reference_samples_ + frame_ : 0;
  // Nothing sent for longer than the reference history the filter and the delay estimator look
  // at: there is no echo to remove, the filter has nothing to learn from (and must not forget
  // what it learnt), so the frame skips them. The suppressor's overlap-add still runs, with unit
  // gains, so the output keeps its one-block lag and nothing clicks when the bot speaks again.
  // Most of a call is the caller's turn: this is what keeps the canceller's cost per call low.
  // The capture passes bit for bit (a leg whose bot never spoke is untouched); the DC blocker and
  // the suppressor keep their state for when the bot speaks again.
  if (silent_reference_samples_ > reference_ring_.size()) {
    reference_dc_ = reference_dc_in_ = 0.0f;
    for (size_t offset = 0; offset < frame_; offset += block_) {
      DcBlock(capture + offset, block_, pole, capture_dc_in_, capture_dc_, capture_block_.data());
      suppressor_.PassThrough(capture_block_.data(), &frame_out_[offset]);
    }
    ++stats_.bypassed_frames;
    // The path slides on while nothing is sent: the response is delayed by as much when the
    // filter runs again.
    const int blocks = static_cast<int>(frame_ / block_);
    drift_pending_ += drift_tracker_.samples_per_block() * static_cast<float>(blocks);
    drift_tracker_.Skip(blocks);
    if (output != capture) std::memcpy(output, capture, frame_ * sizeof(int16_t));
    return;
  }
  stats_.frame_error_power = 0.0f;
  stats_.frame_residual_power = 0.0f;
  float* ring = reference_ring_.data();
  const size_t ring_size = reference_ring_.size();
  float* capture_block = capture_block_.data();
  for (size_t offset = 0; offset < frame_; offset += block_) {
    // The reference into the ring in at most two runs: it wraps at a multiple of no block.
    const int16_t* block_sent = sent != nullptr ? sent + offset : nullptr;
    const size_t first = std::min(block_, ring_size - reference_head_);
    DcBlock(block_sent, first, pole, reference_dc_in_, reference_dc_, ring + reference_head_);
    if (first < block_) {
      DcBlock(block_sent != nullptr ? block_sent + first : nullptr, block_ - first, pole, reference_dc_in_,
              reference_dc_, ring);
    }
    reference_head_ = (reference_head_ + block_) % ring_size;
    DcBlock(capture + offset, block_, pole, capture_dc_in_, capture_dc_, capture_block);
    ProcessBlock(capture_block, &frame_out_[offset]);
  }
  WriteOutput(output);
}

PARLEY_VECTOR_CLONES
void EchoCanceller::WriteOutput(int16_t* output) const {
  for (size_t i = 0; i < frame_; ++i) {
    const float rounded = std::nearbyint(frame_out_[i]);
    output[i] = static_cast<int16_t>(std::clamp(rounded, -32768.0f, 32767.0f));
  }
}

PARLEY_VECTOR_CLONES
void EchoCanceller::PredictResidual(float flat) {
  // Two predictions of the residual echo per bin, the larger counts:
  //  - the leakage's: η·|Ŷ|², plus the flat part;
  //  - the part of the error that follows the echo estimate: |S_eŶ|² / S_ŶŶ, from cross-spectra
  //    smoothed over kCoherenceSmoothing. Where the path moves faster than the filter learns (a
  //    sliding clock, a jitter buffer's step, a loudspeaker's compression), the residual is the
  //    echo estimate times a slowly turning factor per bin: it stays coherent with Ŷ while η,
  //    a regression over all bins and seconds, says it is small. The caller's speech is not
  //    coherent with Ŷ and leaves only the estimate's bias, which is taken off (kCoherenceBias).
  CoherentResidual(error_re_.data(), error_im_.data(), sum_re_.data(), sum_im_.data(), error_power_.data(),
                   echo_power_.data(), leakage_, flat, cross_re_.data(), cross_im_.data(), error_smoothed_.data(),
                   echo_smoothed_.data(), residual_power_.data(), bins_);
}

PARLEY_VECTOR_CLONES
void EchoCanceller::ProcessBlock(const float* capture, float* output) {
  // 1. Bulk delay: the estimator sees the newest reference, the window moves when it is sure.
  const size_t sub_block = block_ * kSubBlockMs / kBlockMs;
  const size_t ring = reference_ring_.size();
  for (size_t s = 0; s < block_; s += sub_block) {
    const size_t from = (reference_head_ + ring - block_ + s) % ring;
    // The ring wraps at a multiple of neither block nor sub-block: copy out (sub_block samples),
    // in at most two runs (a modulo per sample cost a division each).
    const size_t first = std::min(sub_block, ring - from);
    std::copy_n(&reference_ring_[from], first, window_.data());
    std::copy_n(reference_ring_.data(), sub_block - first, window_.data() + first);
    delay_estimator_.Update(window_.data(), capture + s);
  }
  const int delay_sub_blocks = delay_estimator_.delay_sub_blocks();
  const float previous_delay_ms = stats_.delay_ms;
  stats_.delay_ms = delay_sub_blocks < 0 ? -1.0f : static_cast<float>(delay_sub_blocks * kSubBlockMs);
  // Whole blocks the echo path moved, as far as the estimator can tell (none at the first estimate).
  const int path_moved_blocks =
      previous_delay_ms < 0.0f || delay_sub_blocks < 0 ? 0 : static_cast<int>(stats_.delay_ms - previous_delay_ms) / kBlockMs;
  stats_.delay_confidence = delay_estimator_.confidence();
  const int wanted_start =
      delay_sub_blocks < 0 ? 0 : std::clamp((delay_sub_blocks * kSubBlockMs - kWindowMarginMs) / kBlockMs, 0, max_start_blocks_);
  if (step_samples_ != 0) {
    // A step the detector found from the echo estimate, to the sample: the window moves with the
    // delay and the kept filter's response (the current one if none was kept) by the rest of the
    // step.
    const int window_moved = wanted_start - start_blocks_;
    PlaceWindow(wanted_start, window_moved, true);
    ShiftResponse(step_samples_ - window_moved * static_cast<int>(block_));
    step_samples_ = 0;
  } else if (wanted_start != start_blocks_) {
    PlaceWindow(wanted_start, path_moved_blocks, false);
  } else {
    spectra_head_ = spectra_head_ == 0 ? partitions_ - 1 : spectra_head_ - 1;
    ComputeReferenceSpectrum(0, start_blocks_);
  }
  const float* newest_re = &reference_re_[spectra_head_ * bins_];
  const float* newest_im = &reference_im_[spectra_head_ * bins_];

  // 2. Echo estimate: Σ_p X_p·W_p, back in time, its last block is valid (overlap-save).
  EchoEstimate(reference_re_.data(), reference_im_.data(), spectra_head_, weights_re_.data(), weights_im_.data(),
               partitions_, bins_, sum_re_.data(), sum_im_.data());
  fft_.Inverse(sum_re_.data(), sum_im_.data(), fft_size_ - block_, fft_size_, echo_estimate_.data());
  const float* estimate = echo_estimate_.data();
  float* error = error_.data();
  for (size_t i = 0; i < block_; ++i) error[i] = capture[i] - estimate[i];
  const float capture_energy = LaneSum(block_, [&](size_t i) { return capture[i] * capture[i]; });
  const float error_energy = LaneSum(block_, [&](size_t i) { return error[i] * error[i]; });
  // A step of the path found from the echo estimate itself moves the estimator's delay at once,
  // to its nearest sub-block; in the next block the window follows the delay (PlaceWindow) and
  // the response the rest of the step (ShiftResponse). Armed once converged,
  // kept filter or not (the response is then the current one, a few blocks into the step): on
  // barge-in's moving-echo trace (steps every 1.5-4 s) the filter had not held 20 dB for the
  // 500 ms a kept filter needs when the path first stepped, was never kept after, and no step
  // was followed.
  step_samples_ = step_detector_.Update(capture, echo_estimate_.data(), stats_.converged);
  if (step_samples_ != 0) {
    const int sub = static_cast<int>(sub_block);
    delay_estimator_.Move((step_samples_ + (step_samples_ > 0 ? sub / 2 : -(sub / 2))) / sub);
  }

  // 3. Periodograms of the error and of the echo estimate (one block, zero-padded).
  std::fill(window_.begin(), window_.end(), 0.0f);
  std::copy_n(echo_estimate_.data(), block_, window_.data() + fft_size_ - block_);
  // The echo estimate's spectrum goes to sum_re_/im_, free once the estimate is out.
  fft_.Forward(window_.data(), sum_re_.data(), sum_im_.data());
  for (size_t k = 0; k < bins_; ++k) echo_power_[k] = sum_re_[k] * sum_re_[k] + sum_im_[k] * sum_im_[k];
  std::copy_n(error_.data(), block_, window_.data() + fft_size_ - block_);
  fft_.Forward(window_.data(), error_re_.data(), error_im_.data());
  for (size_t k = 0; k < bins_; ++k) {
    error_power_[k] = error_re_[k] * error_re_[k] + error_im_[k] * error_im_[k];
    const float newest_power = newest_re[k] * newest_re[k] + newest_im[k] * newest_im[k];
    reference_power_[k] += (newest_power - reference_power_[k]) / static_cast<float>(partitions_);
  }
  const float* reference_power = reference_power_.data();
  const float reference_sum = LaneSum(bins_, [&](size_t k) { return reference_power[k]; });
  // Parseval over the half spectrum: Σ|X|² ≈ (size/2)·Σx², so per sample ≈ 2Σ/(size²).
  const float reference_energy = 2.0f * reference_sum / static_cast<float>(fft_size_ * fft_size_);
  const bool far_active = reference_energy > kMinReferencePower;

  // 4. Leakage η: regression of the error's power fluctuations on the echo estimate's, held in
  // double talk (kLeakageHoldOverResidual).
  const bool leakage_held = stats_.converged && over_residual_blocks_ > 0 && over_residual_blocks_ <= kMaxLeakageHoldBlocks;
  if (far_active && !leakage_held) {
    for (size_t k = 0; k < bins_; ++k) {
      error_mean_[k] += kLeakMeanRate * (error_power_[k] - error_mean_[k]);
      echo_mean_[k] += kLeakMeanRate * (echo_power_[k] - echo_mean_[k]);
    }
    const float* error_power = error_power_.data();
    const float* error_mean = error_mean_.data();
    const float* echo_power = echo_power_.data();
    const float* echo_mean = echo_mean_.data();
    const float cross = LaneSum(bins_, [&](size_t k) { return (error_power[k] - error_mean[k]) * (echo_power[k] - echo_mean[k]); });
    const float echo = LaneSum(bins_, [&](size_t k) { return (echo_power[k] - echo_mean[k]) * (echo_power[k] - echo_mean[k]); });
    leak_cross_ += kLeakRate * (cross - leak_cross_);
    leak_echo_ += kLeakRate * (echo - leak_echo_);
    if (leak_echo_ > 0.0f) leakage_ = std::clamp(leak_cross_ / leak_echo_, kMinLeakage, 1.0f);
  }

  // 5. Learning rate per bin, and the normalised gradient step on every partition.
  if (far_active && std::isfinite(error_energy)) {
    const float floor = static_cast<float>(partitions_) * kPowerFloor * static_cast<float>(fft_size_);
    // μ per bin into step_ first, then summed (in lanes), then normalised: three loops that all
    // vectorise, where one loop with a branch and a running sum stayed scalar.
    if (stats_.converged) {
      const float scale = kLeakageStepScale * leakage_;
      LeakageStep(scale, echo_power_.data(), error_power_.data(), step_.data(), bins_);
    } else {
      const float mu = kInitialStep * std::min(1.0f, reference_energy / (error_energy / static_cast<float>(block_) + 1.0f));
      std::fill(step_.begin(), step_.end(), mu);
    }
    const float* step = step_.data();
    const float step_sum = LaneSum(bins_, [&](size_t k) { return step[k]; });
    NormaliseStep(kGradientGain, static_cast<float>(partitions_), floor, reference_power_.data(), step_.data(), bins_);
    GradientSteps(step_.data(), error_re_.data(), error_im_.data(), reference_re_.data(), reference_im_.data(),
                  spectra_head_, weights_re_.data(), weights_im_.data(), partitions_, bins_);
    adapted_ += step_sum / static_cast<float>(bins_);
    // Converged: enough learning since the window was last moved by more than a drift step.
    if (adapted_ > static_cast<float>(partitions_) && erle_db_ > kConvergedErleDb) stats_.converged = true;
    // Gradient constraint on one partition per learning block: its response is cut back to one
    // block. (Every other block would save one FFT in seven, but slowed convergence on white noise
    // from 23.6 to 20.5 dB at 1.25-1.5 s.) A block that learnt nothing changed no partition, so
    // it skips the constraint's two FFTs and the turn waits: the bot's pauses cost less.
    Constrain(constrain_next_);
    constrain_next_ = constrain_next_ + 1 == partitions_ ? 0 : constrain_next_ + 1;
  }
  // A sliding path: the response is delayed at the rate the tracker measures, so the filter
  // does not have to relearn it (window_ and step_ are free here).
  if (stats_.converged) {
    drift_tracker_.Update(weights_re_.data(), weights_im_.data());
    drift_pending_ += drift_tracker_.samples_per_block();
    if (std::abs(drift_pending_) >= kDriftApplySamples) {
      DelayResponse(drift_pending_);
      drift_pending_ = 0.0f;
    }
  }

  // 6. Divergence guard: a filter that adds energy is worse than none.
  capture_energy_ = kEnergySmoothing * capture_energy_ + (1.0f - kEnergySmoothing) * capture_energy;
  const float previous_output = output_energy_;
  output_energy_ = kEnergySmoothing * output_energy_ + (1.0f - kEnergySmoothing) * error_energy;
  if (!double_talk_ && std::isfinite(error_energy)) {
    erle_capture_ = kEnergySmoothing * erle_capture_ + (1.0f - kEnergySmoothing) * capture_energy;
    erle_output_ = kEnergySmoothing * erle_output_ + (1.0f - kEnergySmoothing) * error_energy;
  }
  if (!std::isfinite(output_energy_)) {
    output_energy_ = previous_output;
    std::copy_n(capture, block_, error_.data());
    Reset();
    ++stats_.resets;
  } else if (output_energy_ > kDivergedRatio * capture_energy_ + kPowerFloor * static_cast<float>(block_)) {
    if (++diverging_blocks_ >= kDivergedBlocks) {
      Reset();
      ++stats_.resets;
    }
  } else {
    diverging_blocks_ = 0;
  }
  stats_.leakage = leakage_;
  if (far_active) {
    erle_db_ = 10.0f * std::log10((capture_energy_ + 1.0f) / (output_energy_ + 1.0f));
    stats_.erle_db = 10.0f * std::log10((erle_capture_ + 1.0f) / (erle_output_ + 1.0f));
    // A filter that works is kept, for when the path steps away from it (PlaceWindow).
    if (stats_.converged && erle_db_ > kKeepErleDb && ++blocks_since_kept_ >= kKeepEveryBlocks) {
      kept_re_ = weights_re_;
      kept_im_ = weights_im_;
      has_kept_ = true;
      blocks_since_kept_ = 0;
    }
  }

  // 7. A filter that does not make the capture quieter has found no echo to remove: with none on
  // the line it learns only the caller's noise and adds it back (measured on a quiet line under
  // the bot's speech: -2 dB, 4 divergence resets in 10 s), and suppression driven by its
  // estimate would pump the line's hiss, which the VAD hears as speech onsets. Its output and
  // the suppressor's are then not used: the capture passes as it came (it keeps learning). The
  // block's own energies count too: a filter that learnt a loud click adds junk for the next
  // few hundred ms, while the smoothed energies still hold the click. (A block-by-block test at
  // 1x instead of kJunkRatio also passed raw echo in the blocks a converging filter had not yet
  // mastered: convergence on the echo bench 0-400 ms -> 1100-1500 ms.)
  const float* block_error_power = error_power_.data();
  const float error_power = LaneSum(bins_, [&](size_t k) { return block_error_power[k]; });
  stats_.frame_error_power += error_power;
  double_talk_ = false;
  const int over_residual_before = over_residual_blocks_;
  over_residual_blocks_ = 0;
  if (output_energy_ >= capture_energy_) {
    suppressor_.PassThrough(capture, error_power_.data(), output);
    stats_.frame_residual_power = std::max(stats_.frame_residual_power, stats_.frame_error_power);
    return;
  }
  // A block the filter made louder holds the echo as it came back (at a burst's tail, mostly):
  // the suppressor takes it from the capture (passed raw, these were most of the VAD onsets on
  // echo alone on the echo bench's G.711 traces).
  if (error_energy >= kJunkRatio * capture_energy) {
    suppressor_.SuppressCapture(error_re_.data(), error_im_.data(), sum_re_.data(), sum_im_.data(), output);
    // No prediction holds for this block: barge-in takes none of it as the caller's.
    stats_.frame_residual_power = std::max(stats_.frame_residual_power, stats_.frame_error_power);
    return;
  }
  // 8. Residual echo suppression, on the echo estimate scaled by the leakage.
  const float* echo_power = echo_power_.data();
  const float echo_mean = LaneSum(bins_, [&](size_t k) { return echo_power[k]; }) * (kFlatResidual / static_cast<float>(bins_));
  PredictResidual(echo_mean);
  const float* residual = residual_power_.data();
  const float residual_power = LaneSum(bins_, [&](size_t k) { return residual[k]; });
  stats_.frame_residual_power += residual_power;
  double_talk_ = error_power >= kDoubleTalkOverResidual * residual_power;
  if (error_power >= kLeakageHoldOverResidual * residual_power) over_residual_blocks_ = over_residual_before + 1;
  suppressor_.Process(error_re_.data(), error_im_.data(), sum_re_.data(), sum_im_.data(), error_power_.data(),
                      residual_power_.data(), step_detector_.suspects_step(), output);
}

}  // namespace parley

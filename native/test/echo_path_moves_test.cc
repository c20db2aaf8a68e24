// Tests of what follows a moving echo path below the canceller: EchoStepDetector (a step of whole
// blocks, found from the echo estimate) and EchoDriftTracker (a sliding path's rate, from the
// response's strongest tap), as a native program built with ASan/UBSan
// (test/unit/native/echo-path-moves.test.ts runs it): every check prints one line, "ok" or
// "FAIL", and the exit status is the number of failures.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "dsp/echo_drift_tracker.h"
#include "dsp/echo_step_detector.h"
#include "dsp/fft.h"
#include "test/check.h"

namespace {

using parley::EchoDriftTracker;
using parley::EchoStepDetector;
using parley::Fft;

constexpr size_t kBlock = 80;  // 10 ms at 8 kHz
constexpr int kMaxStepBlocks = 6;
constexpr size_t kFftSize = 256;
constexpr size_t kPartitions = 12;
constexpr double kPi = 3.14159265358979323846;
using parley_test::Check;

// Deterministic noise at about -20 dBFS (int16 units).
std::vector<float> Noise(size_t samples, uint32_t seed) {
  std::vector<float> out(samples);
  for (size_t i = 0; i < samples; ++i) {
    seed = seed * 1664525u + 1013904223u;
    out[i] = (static_cast<float>(seed >> 8) / 16777216.0f - 0.5f) * 11000.0f;
  }
  return out;
}

// Runs the detector over `blocks` blocks where the capture is the estimate moved by `step`
// samples from `from_block` on (positive: later), plus `talk` (the caller, or nothing). Returns
// the first step it reports (samples) and the block it reports it in (-1: none).
struct Found {
  int step = 0;
  int block = -1;
};
Found RunSteps(int step, int from_block, int blocks, const std::vector<float>* talk, bool armed = true) {
  const std::vector<float> estimate = Noise(static_cast<size_t>(blocks + 2 * kMaxStepBlocks) * kBlock, 7);
  EchoStepDetector detector(kBlock, kMaxStepBlocks);
  std::vector<float> capture(kBlock);
  for (int b = 0; b < blocks; ++b) {
    // The estimate array starts kMaxStepBlocks early, so a moved capture has a past and a future.
    const long source = static_cast<long>(b + kMaxStepBlocks) * static_cast<long>(kBlock) - (b >= from_block ? step : 0);
    for (size_t i = 0; i < kBlock; ++i) {
      capture[i] = estimate[static_cast<size_t>(source) + i];
      if (talk != nullptr) capture[i] += (*talk)[static_cast<size_t>(b) * kBlock + i];
    }
    const int found = detector.Update(capture.data(), &estimate[static_cast<size_t>(b + kMaxStepBlocks) * kBlock], armed);
    if (found != 0) return {found, b};
  }
  return {};
}

void StepDetectorFindsStepsBothWays() {
  const Found later = RunSteps(160, 50, 100, nullptr);
  Check(later.step == 160, "a 20 ms later echo is found as a step of +160 samples", later.step);
  Check(later.block >= 50 && later.block <= 52, "within two blocks of it", later.block - 50);
  const Found earlier = RunSteps(-240, 50, 100, nullptr);
  Check(earlier.step == -240, "a 30 ms earlier echo is found as a step of -240 samples", earlier.step);
  // It waits 3 blocks for the capture, then 3 or 4 more for the smoothed errors of that lag to
  // forget the blocks before the step, when it did not fit (4 since the lag must also explain
  // the capture it compares: that capture's smoothed energy holds the step's first blocks too).
  Check(earlier.block >= 53 && earlier.block <= 57, "once the capture has waited 3 blocks, and 3 or 4 more", earlier.block - 50);
  // Steps of part of a block (a playout stretched or cut by a few ms) are found to the sample.
  for (const int step : {16, -16, 48, -48, 128, -128, 1, -1}) {
    const Found part = RunSteps(step, 50, 100, nullptr);
    Check(part.step == step, "a step of part of a block, or not a whole number of them, to the sample", part.step - step);
    Check(part.block >= 50 && part.block <= 56, "within the blocks it needs", part.block - 50);
  }
  Check(RunSteps(0, 0, 100, nullptr).block == -1, "an echo that stays put is no step", 0);
  Check(RunSteps(160, 50, 100, nullptr, false).block == -1, "nothing is found while not armed", 0);
}

void StepDetectorIgnoresTheCallerTalking() {
  // The caller at the echo's level over an echo that stays put: every lag's error rises alike.
  const std::vector<float> caller = Noise(200 * kBlock, 99);
  const Found found = RunSteps(0, 0, 200, &caller);
  Check(found.block == -1, "the caller talking over a still echo is no step", found.step);
}

// A filter whose response is a direct path at `position` samples (fractional, a windowed sinc)
// and a decaying tail, as partition spectra.
void Response(double position, std::vector<float>& re, std::vector<float>& im) {
  Fft fft(kFftSize);
  std::vector<float> taps(kPartitions * kBlock, 0.0f);
  const std::vector<float> tail = Noise(taps.size(), 3);
  for (size_t n = 0; n < taps.size(); ++n) {
    const double x = static_cast<double>(n) - position;
    const double sinc = std::abs(x) < 1e-9 ? 1.0 : std::sin(kPi * x) / (kPi * x);
    const double window = std::abs(x) < 16.0 ? 0.5 + 0.5 * std::cos(kPi * x / 16.0) : 0.0;
    const double decay = x > 0.0 ? 0.3 * std::exp(-x / 80.0) * tail[n] / 5500.0 : 0.0;
    taps[n] = static_cast<float>(sinc * window + decay);
  }
  std::vector<float> frame(kFftSize);
  for (size_t p = 0; p < kPartitions; ++p) {
    std::fill(frame.begin(), frame.end(), 0.0f);
    std::copy_n(&taps[p * kBlock], kBlock, frame.begin());
    fft.Forward(frame.data(), &re[p * (kFftSize / 2 + 1)], &im[p * (kFftSize / 2 + 1)]);
  }
}

// The tracker's rate after each of its looks (every kLookBlocks), averaged: over a whole number
// of samples of travel, so the sub-sample estimate's pull toward whole taps (which makes single
// looks read 0.5-1.5x the rate) averages out, as it does over a call.
constexpr int kLookBlocks = 50;
float TrackDrift(double samples_per_block, int blocks, double start = 150.3, int hop_at = -1) {
  EchoDriftTracker tracker(kFftSize, kBlock, kPartitions);
  std::vector<float> re(kPartitions * (kFftSize / 2 + 1));
  std::vector<float> im(re.size());
  double sum = 0.0;
  int looks = 0;
  for (int b = 0; b <= blocks; ++b) {
    const double hop = hop_at >= 0 && b >= hop_at ? 3.0 : 0.0;
    Response(start + samples_per_block * b + hop, re, im);
    tracker.Update(re.data(), im.data());
    if (b > 0 && b % kLookBlocks == 0) {
      sum += tracker.samples_per_block();
      ++looks;
    }
  }
  return static_cast<float>(sum / looks);
}

void DriftTrackerMeasuresTheSlide() {
  // 125 ppm at 8 kHz: 0.01 samples per 10 ms block, 3 samples over 300 blocks, across a
  // partition boundary (160) too.
  const float rate = TrackDrift(0.01, 300, 158.3);
  Check(std::abs(rate - 0.01f) < 0.001f, "a 125 ppm slide is measured as 0.01 samples a block", rate);
  const float back = TrackDrift(-0.004, 250, 161.7);
  Check(std::abs(back + 0.004f) < 0.0004f, "a slide the other way, back across the boundary", back);
  const float still = TrackDrift(0.0, 300);
  Check(std::abs(still) < 0.0001f, "a still path has no rate", still);
  // A hop of 3 samples is a peak changing taps, not a clock: the rate stays.
  const float hopped = TrackDrift(0.0, 300, 150.3, 120);
  Check(std::abs(hopped) < 0.0001f, "a 3-sample hop of the peak is not taken for drift", hopped);
}

}  // namespace

int main() {
  StepDetectorFindsStepsBothWays();
  StepDetectorIgnoresTheCallerTalking();
  DriftTrackerMeasuresTheSlide();
  return parley_test::Finish("echo-path-moves");
}

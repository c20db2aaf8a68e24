// Tests of the real FFT (native/dsp/fft.h) against a naive DFT in double on random input (and of
// the partial inverse against the whole one), at every size the addon builds one (the echo
// canceller, its residual suppressor and drift tracker: 256 and 512; the VAD: up to 1024) and the
// small ones where the radix-4 and radix-2 passes meet (from 32 points on, the first pass's
// span-4 stage over 1 to 32 runs of 16 points, the count a constant at 8 and 16 and not
// elsewhere; from 256 points on, its scatter as 8x8 transposes where the x86-64-v3 clone runs);
// run under ASan/UBSan by test/unit/native/fft.test.ts. Every check prints one line, "ok" or
// "FAIL", and the exit status is the number of failures.
#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <thread>
#include <vector>

#include "dsp/fft.h"
#include "test/check.h"

namespace {

using parley::Fft;
using parley_test::Check;

constexpr double kPi = 3.14159265358979323846;
// Float rounding over log2(n) stages, relative to the signal: at most 0.43 ppm at any size here,
// on either clone (vector_clones.h); the bound leaves twice that, so a butterfly with a wrong
// twiddle or a lost rounding step shows.
constexpr double kSpectrumTolerance = 1e-6;
constexpr double kRoundTripTolerance = 1e-6;
// Errors are printed in millionths (check.h prints four decimals).
constexpr double kPpm = 1e6;

// Uniform in [-1, 1), deterministic.
std::vector<float> Random(size_t samples, uint32_t seed) {
  std::vector<float> out(samples);
  for (size_t i = 0; i < samples; ++i) {
    seed = seed * 1664525u + 1013904223u;
    out[i] = static_cast<float>(seed >> 8) / 8388608.0f - 1.0f;
  }
  return out;
}

// Bins 0..n/2 of the DFT of x, in double.
std::vector<std::complex<double>> NaiveDft(const std::vector<float>& x) {
  const size_t n = x.size();
  std::vector<std::complex<double>> out(n / 2 + 1);
  for (size_t k = 0; k <= n / 2; ++k) {
    std::complex<double> sum = 0.0;
    for (size_t t = 0; t < n; ++t) {
      // k·t mod n keeps the angle small, so the reference's own error stays far under the FFT's.
      const double angle = -2.0 * kPi * static_cast<double>((k * t) % n) / static_cast<double>(n);
      sum += static_cast<double>(x[t]) * std::complex<double>(std::cos(angle), std::sin(angle));
    }
    out[k] = sum;
  }
  return out;
}

// Largest error over the spectrum, relative to its RMS per bin.
double SpectrumError(const float* re, const float* im, const std::vector<std::complex<double>>& reference) {
  double worst = 0.0;
  double power = 0.0;
  for (size_t k = 0; k < reference.size(); ++k) {
    worst = std::max(worst, std::abs(std::complex<double>(re[k], im[k]) - reference[k]));
    power += std::norm(reference[k]);
  }
  return worst / std::sqrt(power / static_cast<double>(reference.size()));
}

void TestSize(size_t n) {
  char what[160];
  const std::vector<float> x = Random(n, static_cast<uint32_t>(n) * 7919u + 1u);
  const std::vector<std::complex<double>> reference = NaiveDft(x);
  Fft fft(n);

  // The split face.
  std::vector<float> re(fft.bins()), im(fft.bins());
  fft.Forward(x.data(), re.data(), im.data());
  double error = SpectrumError(re.data(), im.data(), reference);
  std::snprintf(what, sizeof what, "n=%zu forward (split) matches the naive DFT (worst error over RMS, ppm)", n);
  Check(error < kSpectrumTolerance, what, error * kPpm);
  // Bins 0 and n/2 of a real signal are real.
  std::snprintf(what, sizeof what, "n=%zu DC and Nyquist bins are real", n);
  Check(im[0] == 0.0f && im[n / 2] == 0.0f, what, std::abs(im[0]) + std::abs(im[n / 2]));

  // The interleaved face gives the same bins.
  std::vector<std::complex<float>> spectrum(fft.bins());
  fft.Forward(x.data(), spectrum.data());
  double mismatch = 0.0;
  for (size_t k = 0; k < fft.bins(); ++k) mismatch = std::max(mismatch, static_cast<double>(std::abs(spectrum[k] - std::complex<float>(re[k], im[k]))));
  std::snprintf(what, sizeof what, "n=%zu forward (interleaved) equals the split face", n);
  Check(mismatch == 0.0, what, mismatch);

  // Round trips, both faces.
  std::vector<float> back(n);
  fft.Inverse(re.data(), im.data(), back.data());
  double worst = 0.0;
  for (size_t t = 0; t < n; ++t) worst = std::max(worst, static_cast<double>(std::abs(back[t] - x[t])));
  std::snprintf(what, sizeof what, "n=%zu inverse(forward(x)) == x (split, worst sample error, ppm)", n);
  Check(worst < kRoundTripTolerance, what, worst * kPpm);
  fft.Inverse(spectrum.data(), back.data());
  worst = 0.0;
  for (size_t t = 0; t < n; ++t) worst = std::max(worst, static_cast<double>(std::abs(back[t] - x[t])));
  std::snprintf(what, sizeof what, "n=%zu inverse(forward(x)) == x (interleaved, worst sample error, ppm)", n);
  Check(worst < kRoundTripTolerance, what, worst * kPpm);

  // The inverse of an arbitrary spectrum (not one of a transform just taken): against the naive
  // inverse DFT of the Hermitian spectrum it stands for.
  const std::vector<float> random_re = Random(fft.bins(), static_cast<uint32_t>(n) + 17u);
  std::vector<float> random_im = Random(fft.bins(), static_cast<uint32_t>(n) + 29u);
  random_im[0] = random_im[n / 2] = 0.0f;
  fft.Inverse(random_re.data(), random_im.data(), back.data());
  worst = 0.0;
  double rms = 0.0;
  for (size_t t = 0; t < n; ++t) {
    double sum = random_re[0] + random_re[n / 2] * ((t % 2) != 0 ? -1.0 : 1.0);
    for (size_t k = 1; k < n / 2; ++k) {
      const double angle = 2.0 * kPi * static_cast<double>((k * t) % n) / static_cast<double>(n);
      sum += 2.0 * (random_re[k] * std::cos(angle) - random_im[k] * std::sin(angle));
    }
    sum /= static_cast<double>(n);
    worst = std::max(worst, std::abs(back[t] - sum));
    rms += sum * sum;
  }
  rms = std::sqrt(rms / static_cast<double>(n));
  std::snprintf(what, sizeof what, "n=%zu inverse of a random spectrum matches the naive inverse DFT (over RMS, ppm)", n);
  Check(worst / rms < kSpectrumTolerance, what, worst / rms * kPpm);

  // Part of the inverse is that part of the whole one, to the bit: the ranges the canceller keeps
  // (a block of 5/16 of the size at the end, at the start, and the second one), halves, odd ends,
  // single samples. Into an array of exactly the range's length, so ASan sees a write past it.
  const size_t block = n * 5 / 16;
  const size_t ranges[][2] = {{0, n},         {0, n / 2},     {n / 2, n},     {n - block, n}, {0, block},
                              {block, 2 * block}, {1, n - 1}, {n - 1, n},     {1, 2}};
  for (const auto& range : ranges) {
    const size_t from = range[0];
    const size_t to = range[1];
    std::vector<float> part(to - from);
    fft.Inverse(random_re.data(), random_im.data(), from, to, part.data());
    size_t differing = 0;
    for (size_t t = from; t < to; ++t) differing += part[t - from] != back[t];
    std::snprintf(what, sizeof what, "n=%zu inverse of samples [%zu, %zu) equals the whole inverse's (samples differing)",
                  n, from, to);
    Check(differing == 0, what, static_cast<double>(differing));
  }
}

// Every Fft on a thread works in one set of arrays (Workspace in dsp/fft.cc): a transform is the same
// to the bit after a larger Fft regrew them, and on a thread that made no Fft (which sizes its own
// set on first use; ASan would catch a transform past a set too small).
void TestSharedWorkspace() {
  const size_t n = 256;
  const std::vector<float> x = Random(n, 4242u);
  Fft fft(n);
  std::vector<float> re(fft.bins()), im(fft.bins()), again_re(fft.bins()), again_im(fft.bins());
  fft.Forward(x.data(), re.data(), im.data());
  Fft larger(4096);
  const std::vector<float> y = Random(4096, 99u);
  std::vector<float> larger_re(larger.bins()), larger_im(larger.bins());
  larger.Forward(y.data(), larger_re.data(), larger_im.data());
  fft.Forward(x.data(), again_re.data(), again_im.data());
  Check(again_re == re && again_im == im, "a transform is unchanged after a larger Fft regrew the thread's arrays", 0.0);
  std::fill(again_re.begin(), again_re.end(), 0.0f);
  std::thread([&] { fft.Forward(x.data(), again_re.data(), again_im.data()); }).join();
  Check(again_re == re && again_im == im, "a transform is unchanged on a thread that made no Fft", 0.0);
}

}  // namespace

int main() {
  for (size_t n = 4; n <= 1024; n *= 2) TestSize(n);
  TestSharedWorkspace();
  for (size_t bad : {size_t{0}, size_t{2}, size_t{3}, size_t{48}, size_t{131072}}) {
    bool threw = false;
    try {
      Fft fft(bad);
    } catch (const std::invalid_argument&) {
      threw = true;
    }
    char what[80];
    std::snprintf(what, sizeof what, "size %zu is refused", bad);
    Check(threw, what, static_cast<double>(bad));
  }
  return parley_test::Finish("fft");
}

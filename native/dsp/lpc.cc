#include "dsp/lpc.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace parley {
namespace {
constexpr double kPi = 3.14159265358979323846;
// White-noise correction of the autocorrelation (a -40 dB floor): keeps the predictor well
// conditioned on a pure tone or digital silence.
constexpr double kNoiseFloor = 1.0001;

// The Hann window, built once (a cosine per sample at every loss cost more than the analysis).
const std::array<double, Lpc::kWindowSamples>& Window() {
  static const std::array<double, Lpc::kWindowSamples> window = [] {
    std::array<double, Lpc::kWindowSamples> w{};
    for (size_t i = 0; i < Lpc::kWindowSamples; ++i) {
      w[i] = 0.5 - 0.5 * std::cos(2 * kPi * (static_cast<double>(i) + 0.5) / Lpc::kWindowSamples);
    }
    return w;
  }();
  return window;
}
}  // namespace

double Lpc::Fit(const int16_t* recent, size_t order, double* predictor) {
  order = std::min(order, kMaxOrder);
  const std::array<double, kWindowSamples>& window = Window();
  double windowed[kWindowSamples];
  for (size_t i = 0; i < kWindowSamples; ++i) windowed[i] = recent[i] * window[i];
  double r[kMaxOrder + 1];
  for (size_t lag = 0; lag <= order; ++lag) {
    r[lag] = 0;
    for (size_t i = lag; i < kWindowSamples; ++i) r[lag] += windowed[i] * windowed[i - lag];
  }
  std::fill(predictor, predictor + order, 0.0);
  if (r[0] <= 0) return 0;
  const double power = r[0];
  r[0] *= kNoiseFloor;
  double error = r[0];
  for (size_t m = 0; m < order; ++m) {
    double acc = r[m + 1];
    for (size_t k = 0; k < m; ++k) acc -= predictor[k] * r[m - k];
    const double reflection = acc / error;
    double updated[kMaxOrder];
    for (size_t k = 0; k < m; ++k) updated[k] = predictor[k] - reflection * predictor[m - 1 - k];
    for (size_t k = 0; k < m; ++k) predictor[k] = updated[k];
    predictor[m] = reflection;
    error *= 1.0 - reflection * reflection;
  }
  return std::min(1.0, error / power);
}

}  // namespace parley

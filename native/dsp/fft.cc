#include "dsp/fft.h"

#include <cmath>
#include <stdexcept>
#include <utility>

namespace parley {

Fft::Fft(size_t size) : size_(size), half_(size / 2), bit_reversed_(size / 2), twiddles_(size / 2), packed_(size / 2) {
  if (size < 4 || (size & (size - 1)) != 0) throw std::invalid_argument("FFT size must be a power of two, at least 4");
  size_t bits = 0;
  while ((size_t{1} << bits) < half_) ++bits;
  for (size_t i = 0; i < half_; ++i) {
    size_t reversed = 0;
    for (size_t b = 0; b < bits; ++b) reversed |= ((i >> b) & 1) << (bits - 1 - b);
    bit_reversed_[i] = reversed;
  }
  const double step = -2.0 * 3.14159265358979323846 / static_cast<double>(size);
  for (size_t k = 0; k < half_; ++k) {
    twiddles_[k] = {static_cast<float>(std::cos(step * static_cast<double>(k))),
                    static_cast<float>(std::sin(step * static_cast<double>(k)))};
  }
}

void Fft::Forward(const float* input, std::complex<float>* spectrum) {
  std::complex<float>* z = packed_.data();
  for (size_t i = 0; i < half_; ++i) z[bit_reversed_[i]] = {input[2 * i], input[2 * i + 1]};
  // Radix-2 decimation in time over half_ points; the twiddles of size_ points, every other one.
  for (size_t span = 1; span < half_; span *= 2) {
    const size_t stride = half_ / span;
    for (size_t start = 0; start < half_; start += 2 * span) {
      for (size_t k = 0; k < span; ++k) {
        const std::complex<float> odd = twiddles_[k * stride] * z[start + k + span];
        z[start + k + span] = z[start + k] - odd;
        z[start + k] += odd;
      }
    }
  }
  // Unpack: X[k] = E[k] + W^k O[k], with E and O the spectra of the even and odd samples,
  // E[k] = (Z[k] + conj Z[half-k]) / 2 and O[k] = (Z[k] - conj Z[half-k]) / 2i.
  spectrum[0] = {z[0].real() + z[0].imag(), 0.0f};
  spectrum[half_] = {z[0].real() - z[0].imag(), 0.0f};
  for (size_t k = 1; k < half_; ++k) {
    const std::complex<float> a = z[k];
    const std::complex<float> b = std::conj(z[half_ - k]);
    const std::complex<float> even = 0.5f * (a + b);
    const std::complex<float> odd = std::complex<float>(0.0f, -0.5f) * (a - b);
    spectrum[k] = even + twiddles_[k] * odd;
  }
}

}  // namespace parley

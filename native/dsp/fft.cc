#include "dsp/fft.h"

#include <cmath>
#include <stdexcept>
#include <utility>

namespace parley {

Fft::Fft(size_t size) : size_(size), bit_reversed_(size), twiddles_(size / 2) {
  if (size < 2 || (size & (size - 1)) != 0) throw std::invalid_argument("FFT size must be a power of two");
  size_t bits = 0;
  while ((size_t{1} << bits) < size) ++bits;
  for (size_t i = 0; i < size; ++i) {
    size_t reversed = 0;
    for (size_t b = 0; b < bits; ++b) reversed |= ((i >> b) & 1) << (bits - 1 - b);
    bit_reversed_[i] = reversed;
  }
  const double step = -2.0 * 3.14159265358979323846 / static_cast<double>(size);
  for (size_t k = 0; k < size / 2; ++k) {
    twiddles_[k] = {static_cast<float>(std::cos(step * static_cast<double>(k))),
                    static_cast<float>(std::sin(step * static_cast<double>(k)))};
  }
}

void Fft::Forward(std::complex<float>* data) const {
  for (size_t i = 0; i < size_; ++i) {
    if (i < bit_reversed_[i]) std::swap(data[i], data[bit_reversed_[i]]);
  }
  for (size_t half = 1; half < size_; half *= 2) {
    const size_t stride = size_ / (2 * half);
    for (size_t start = 0; start < size_; start += 2 * half) {
      for (size_t k = 0; k < half; ++k) {
        const std::complex<float> odd = twiddles_[k * stride] * data[start + k + half];
        data[start + k + half] = data[start + k] - odd;
        data[start + k] += odd;
      }
    }
  }
}

}  // namespace parley

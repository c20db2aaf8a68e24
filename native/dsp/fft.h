// In-place radix-2 complex FFT of a fixed power-of-two size, tables computed once. Hand-written
// because the VAD needs only a short forward power spectrum per frame, and libopus keeps its FFT
// (kiss_fft) behind a private, configuration-dependent interface.
#pragma once

#include <complex>
#include <cstddef>
#include <vector>

namespace parley {

class Fft {
 public:
  // `size` must be a power of two (throws std::invalid_argument otherwise).
  explicit Fft(size_t size);

  size_t size() const { return size_; }
  // Forward transform of `data` (size() values), in place; no scaling.
  void Forward(std::complex<float>* data) const;

 private:
  size_t size_;
  std::vector<size_t> bit_reversed_;
  std::vector<std::complex<float>> twiddles_;  // e^{-2πik/N}, k < N/2
};

}  // namespace parley

// Forward FFT of a real signal of fixed power-of-two size, tables computed once: the signal is
// packed into a complex FFT of half the size (even samples real, odd imaginary) and the spectrum
// unpacked after, which halves the work of a plain complex FFT. Hand-written because the VAD needs
// only a short power spectrum per frame, and libopus keeps its FFT (kiss_fft) behind a private,
// configuration-dependent interface.
#pragma once

#include <complex>
#include <cstddef>
#include <vector>

namespace parley {

class Fft {
 public:
  // `size` (the real signal's length) must be a power of two, at least 4 (std::invalid_argument).
  explicit Fft(size_t size);

  size_t size() const { return size_; }
  // Bins 0..size/2 of the spectrum of `input` (size() samples) into `spectrum` (size()/2 + 1
  // values); no scaling. Not reentrant: it works in a scratch buffer it owns.
  void Forward(const float* input, std::complex<float>* spectrum);

 private:
  size_t size_;
  size_t half_;
  std::vector<size_t> bit_reversed_;            // for the half-size complex FFT
  std::vector<std::complex<float>> twiddles_;   // e^{-2πik/size}, k < size/2
  std::vector<std::complex<float>> packed_;
};

}  // namespace parley

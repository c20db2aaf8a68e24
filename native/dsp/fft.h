// Forward and inverse FFT of a real signal of fixed power-of-two size: the signal is packed into a complex
// FFT of half the size (even samples real, odd imaginary) and the spectrum unpacked after, which
// halves the work of a plain complex FFT. Hand-written because the VAD needs only a short power
// spectrum per frame (and the echo canceller short real convolutions), and libopus keeps its FFT (kiss_fft) behind a private,
// configuration-dependent interface.
#pragma once

#include <complex>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace parley {

class Fft {
 public:
  // `size` (the real signal's length) must be a power of two, 4 to 65536 (std::invalid_argument).
  explicit Fft(size_t size);

  size_t size() const { return size_; }
  // Bins 0..size/2 of the spectrum of `input` (size() samples) into `spectrum` (size()/2 + 1
  // values); no scaling. Not reentrant: it works in a scratch buffer it owns.
  void Forward(const float* input, std::complex<float>* spectrum);
  // The real signal (size() samples) whose bins 0..size/2 are `spectrum`, scaled so that
  // Inverse(Forward(x)) == x. Same scratch as Forward.
  void Inverse(const std::complex<float>* spectrum, float* output);

 private:
  // Per size, shared by every FFT of that size (SharedTable).
  struct Tables {
    std::vector<uint16_t> bit_reversed;          // for the half-size complex FFT
    std::vector<std::complex<float>> twiddles;   // e^{-2πik/size}, k < size/2
    // The butterfly stage combining runs of `span` uses twiddles k * (half / span), k < span:
    // stored at [span, 2 * span), so each stage reads its own contiguously.
    std::vector<float> stage_re;
    std::vector<float> stage_im;
  };
  static Tables Build(const size_t& size);
  // Radix-2 decimation in time over re_/im_ (already in bit-reversed order), in place.
  void Butterflies();

  size_t size_;
  size_t half_;
  const Tables& tables_;
  // The half-size FFT's scratch, real and imaginary parts apart so the butterflies vectorise.
  std::vector<float> re_;
  std::vector<float> im_;
};

}  // namespace parley

// Forward and inverse FFT of a real signal of fixed power-of-two size: the signal is packed into a
// complex FFT of half the size (even samples real, odd imaginary) and the spectrum unpacked after,
// which halves the work of a plain complex FFT.
//
// Hand-written: the only FFT the addon's npm dependencies carry is libopus's kiss_fft, behind a
// private, configuration-dependent interface, and the fast portable ones (pffft, pocketfft) come
// from no npm package that builds them from source (pocketfft's C++ header also allocates per
// transform). This one is built for the short transforms here (256-1024 points, several per 10 ms
// per call): real and imaginary parts apart, twiddles per stage in contiguous tables, the two
// twiddle-free first stages done as one radix-4 pass that also does the bit-reversal
// permutation (reading its input out of order) and, before moving the points to their places,
// the next two stages over the same point of every run at once; the later stages two a pass;
// every loop written so the compiler vectorises it (AVX2 where the CPU has it, vector_clones.h).
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
  // Bins 0..size/2 of a spectrum.
  size_t bins() const { return half_ + 1; }
  // The spectrum of `input` (size() samples), bins() values; no scaling. Not reentrant: it works
  // in its thread's scratch buffers (Workspace in the .cc).
  void Forward(const float* input, std::complex<float>* spectrum);
  // The same with real and imaginary parts in arrays of their own (bins() values each): what the
  // per-bin loops of the echo canceller vectorise on.
  void Forward(const float* input, float* spectrum_re, float* spectrum_im);
  // The real signal (size() samples) whose bins 0..size/2 are `spectrum`, scaled so that
  // Inverse(Forward(x)) == x. Same scratch as Forward.
  void Inverse(const std::complex<float>* spectrum, float* output);
  void Inverse(const float* spectrum_re, const float* spectrum_im, float* output);
  // Samples [from, to) of that signal only (from < to <= size()), into output[0, to - from): the
  // same floats as the whole inverse's. Overlap-save keeps a block of the inverse and discards the
  // rest; the last butterfly pass here does only the points the kept samples come from (at 256
  // points, 40 of its 64 butterflies for a block of 80).
  void Inverse(const float* spectrum_re, const float* spectrum_im, size_t from, size_t to, float* output);

 private:
  // Per size, shared by every FFT of that size (SharedTable).
  struct Tables {
    std::vector<uint16_t> bit_reversed;  // for the half-size complex FFT
    std::vector<float> twiddle_re;       // e^{-2πik/size}, k < size/2
    std::vector<float> twiddle_im;
    // The butterfly stage combining runs of `span` uses twiddles k * (half / span), k < span:
    // stored at [span, 2 * span), so each stage reads its own contiguously.
    std::vector<float> stage_re;
    std::vector<float> stage_im;
  };
  static Tables Build(const size_t& size);
  // Decimation in time over re/im (half_ values), in place, from span `span` on (FirstPasses in
  // the .cc did the spans below it, and the bit reversal). Of the last pass, only the butterflies
  // that give points [first, last) (the rest of re/im is then left partly transformed).
  void Butterflies(float* re, float* im, size_t span, size_t first, size_t last) const;
  // re/im hold the half-size FFT of the packed signal (half_ values, and room for one more):
  // the real signal's bins into spectrum_re/im.
  void Unpack(float* re, float* im, float* spectrum_re, float* spectrum_im) const;
  // The inverse of Unpack, conjugated, into z_re/z_im in order.
  void Repack(const float* spectrum_re, const float* spectrum_im, float* z_re, float* z_im) const;

  size_t size_;
  size_t half_;
  const Tables& tables_;
};

}  // namespace parley

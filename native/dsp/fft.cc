#include "dsp/fft.h"

#include <cmath>
#include <stdexcept>
#include <utility>

#include "dsp/shared_table.h"

namespace parley {

Fft::Fft(size_t size)
    : size_(size), half_(size / 2), tables_(SharedTable<Fft, Tables>(size, &Build)), re_(half_), im_(half_) {}

Fft::Tables Fft::Build(const size_t& size) {
  if (size < 4 || size > 65536 || (size & (size - 1)) != 0) {
    throw std::invalid_argument("FFT size must be a power of two from 4 to 65536");
  }
  const size_t half = size / 2;
  Tables tables;
  tables.bit_reversed.resize(half);
  size_t bits = 0;
  while ((size_t{1} << bits) < half) ++bits;
  for (size_t i = 0; i < half; ++i) {
    size_t reversed = 0;
    for (size_t b = 0; b < bits; ++b) reversed |= ((i >> b) & 1) << (bits - 1 - b);
    tables.bit_reversed[i] = static_cast<uint16_t>(reversed);
  }
  const double step = -2.0 * 3.14159265358979323846 / static_cast<double>(size);
  tables.twiddles.resize(half);
  for (size_t k = 0; k < half; ++k) {
    tables.twiddles[k] = {static_cast<float>(std::cos(step * static_cast<double>(k))),
                          static_cast<float>(std::sin(step * static_cast<double>(k)))};
  }
  tables.stage_re.resize(half);
  tables.stage_im.resize(half);
  for (size_t span = 1; span < half; span *= 2) {
    for (size_t k = 0; k < span; ++k) {
      tables.stage_re[span + k] = tables.twiddles[k * (half / span)].real();
      tables.stage_im[span + k] = tables.twiddles[k * (half / span)].imag();
    }
  }
  return tables;
}

void Fft::Forward(const float* input, std::complex<float>* spectrum) {
  // Plain float arithmetic instead of std::complex's operator* (whose C99 Annex G NaN recovery
  // branches keep loops scalar): the butterflies vectorise.
  float* re = re_.data();
  float* im = im_.data();
  const uint16_t* bit_reversed = tables_.bit_reversed.data();
  for (size_t i = 0; i < half_; ++i) {
    re[bit_reversed[i]] = input[2 * i];
    im[bit_reversed[i]] = input[2 * i + 1];
  }
  Butterflies();
  // Unpack: X[k] = E[k] + W^k O[k], with E and O the spectra of the even and odd samples,
  // E[k] = (Z[k] + conj Z[half-k]) / 2 and O[k] = (Z[k] - conj Z[half-k]) / 2i.
  spectrum[0] = {re[0] + im[0], 0.0f};
  spectrum[half_] = {re[0] - im[0], 0.0f};
  for (size_t k = 1; k < half_; ++k) {
    const float even_re = 0.5f * (re[k] + re[half_ - k]);
    const float even_im = 0.5f * (im[k] - im[half_ - k]);
    const float odd_re = 0.5f * (im[k] + im[half_ - k]);
    const float odd_im = -0.5f * (re[k] - re[half_ - k]);
    const float w_re = tables_.twiddles[k].real();
    const float w_im = tables_.twiddles[k].imag();
    spectrum[k] = {even_re + w_re * odd_re - w_im * odd_im, even_im + w_re * odd_im + w_im * odd_re};
  }
}

void Fft::Butterflies() {
  float* re = re_.data();
  float* im = im_.data();
  // Radix-2 decimation in time over half_ points. The first stage's twiddle is 1; its one-element
  // inner loops would cost more than the butterflies.
  for (size_t start = 0; start < half_; start += 2) {
    const float b_re = re[start + 1];
    const float b_im = im[start + 1];
    re[start + 1] = re[start] - b_re;
    im[start + 1] = im[start] - b_im;
    re[start] += b_re;
    im[start] += b_im;
  }
  for (size_t span = 2; span < half_; span *= 2) {
    const float* w_re = tables_.stage_re.data() + span;
    const float* w_im = tables_.stage_im.data() + span;
    for (size_t start = 0; start < half_; start += 2 * span) {
      float* a_re = re + start;
      float* a_im = im + start;
      float* b_re = a_re + span;
      float* b_im = a_im + span;
      for (size_t k = 0; k < span; ++k) {
        const float odd_re = w_re[k] * b_re[k] - w_im[k] * b_im[k];
        const float odd_im = w_re[k] * b_im[k] + w_im[k] * b_re[k];
        b_re[k] = a_re[k] - odd_re;
        b_im[k] = a_im[k] - odd_im;
        a_re[k] += odd_re;
        a_im[k] += odd_im;
      }
    }
  }
}

void Fft::Inverse(const std::complex<float>* spectrum, float* output) {
  // Repack the half spectrum into the half-size complex spectrum Z = E + iO of z[n] = x[2n] +
  // i x[2n+1] (the inverse of Forward's unpack, using X[k + half] = conj X[half - k] for a real
  // signal), then take the inverse complex FFT as conj(FFT(conj Z)) / half.
  float* re = re_.data();
  float* im = im_.data();
  const uint16_t* bit_reversed = tables_.bit_reversed.data();
  for (size_t k = 0; k < half_; ++k) {
    const std::complex<float> a = spectrum[k];
    const std::complex<float> b = std::conj(spectrum[half_ - k]);
    const float even_re = 0.5f * (a.real() + b.real());
    const float even_im = 0.5f * (a.imag() + b.imag());
    const float diff_re = 0.5f * (a.real() - b.real());
    const float diff_im = 0.5f * (a.imag() - b.imag());
    // O[k] = (X[k] - conj X[half-k]) / 2 * conj(W^k)
    const float w_re = tables_.twiddles[k].real();
    const float w_im = -tables_.twiddles[k].imag();
    const float odd_re = diff_re * w_re - diff_im * w_im;
    const float odd_im = diff_re * w_im + diff_im * w_re;
    // conj(E + iO)
    re[bit_reversed[k]] = even_re - odd_im;
    im[bit_reversed[k]] = -(even_im + odd_re);
  }
  Butterflies();
  const float scale = 1.0f / static_cast<float>(half_);
  for (size_t n = 0; n < half_; ++n) {
    output[2 * n] = re[n] * scale;
    output[2 * n + 1] = -im[n] * scale;
  }
}

}  // namespace parley

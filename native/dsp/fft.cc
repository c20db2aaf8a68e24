#include "dsp/fft.h"

#include <cmath>
#include <cstring>
#include <initializer_list>
#include <stdexcept>
#include <utility>

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include "dsp/shared_table.h"
#include "dsp/vector_clones.h"

namespace parley {
namespace {

// One radix-2 stage over `count` points: a = a + w·b, b = a - w·b. A function of its own so the
// compiler knows the halves do not overlap (it vectorises nothing otherwise); inlined into each
// clone of its caller.
inline __attribute__((always_inline)) void Butterfly(float* __restrict a_re, float* __restrict a_im,
                                                     float* __restrict b_re, float* __restrict b_im,
                                                     const float* __restrict w_re, const float* __restrict w_im,
                                                     size_t count) {
  for (size_t k = 0; k < count; ++k) {
    const float odd_re = w_re[k] * b_re[k] - w_im[k] * b_im[k];
    const float odd_im = w_re[k] * b_im[k] + w_im[k] * b_re[k];
    b_re[k] = a_re[k] - odd_re;
    b_im[k] = a_im[k] - odd_im;
    a_re[k] += odd_re;
    a_im[k] += odd_im;
  }
}

// A radix-4 butterfly's last step, shared by the first pass and the later double stages: the
// even pair a ± b, and the odd pair c ± (-i·d) (-i·d = (d_im, -d_re)).
inline __attribute__((always_inline)) void Radix4Outputs(float a_re, float a_im, float b_re, float b_im, float c_re,
                                                         float c_im, float d_re, float d_im, float& o0_re,
                                                         float& o0_im, float& o1_re, float& o1_im, float& o2_re,
                                                         float& o2_im, float& o3_re, float& o3_im) {
  o0_re = a_re + b_re;
  o0_im = a_im + b_im;
  o2_re = a_re - b_re;
  o2_im = a_im - b_im;
  o1_re = c_re + d_im;
  o1_im = c_im - d_re;
  o3_re = c_re - d_im;
  o3_im = c_im + d_re;
}

// Two radix-2 stages at once, spans `span` and 2·span, over one run of 4·span points in four
// quarters: half the passes over memory of one stage at a time. The second stage's twiddle for
// the odd quarter pair is -i times the even one's (W^(k+span) over 4·span points). Over the
// first `count` points of each quarter (the last pass may need fewer than span). Point k's
// twiddles are w[k·kTwiddleStride]: stride 0 is one twiddle for every k (FirstPasses' span-4
// stage, which runs over the same point of many runs at once).
template <size_t kTwiddleStride>
inline __attribute__((always_inline)) void Butterfly2Stages(float* __restrict q0_re, float* __restrict q0_im,
                                                            float* __restrict q1_re, float* __restrict q1_im,
                                                            float* __restrict q2_re, float* __restrict q2_im,
                                                            float* __restrict q3_re, float* __restrict q3_im,
                                                            const float* __restrict w1_re, const float* __restrict w1_im,
                                                            const float* __restrict w2_re, const float* __restrict w2_im,
                                                            size_t count) {
  for (size_t k = 0; k < count; ++k) {
    const size_t w = k * kTwiddleStride;
    // Stage `span`: (q0, q1) and (q2, q3).
    const float t1_re = w1_re[w] * q1_re[k] - w1_im[w] * q1_im[k];
    const float t1_im = w1_re[w] * q1_im[k] + w1_im[w] * q1_re[k];
    const float t3_re = w1_re[w] * q3_re[k] - w1_im[w] * q3_im[k];
    const float t3_im = w1_re[w] * q3_im[k] + w1_im[w] * q3_re[k];
    const float x0_re = q0_re[k] + t1_re, x0_im = q0_im[k] + t1_im;
    const float x1_re = q0_re[k] - t1_re, x1_im = q0_im[k] - t1_im;
    const float x2_re = q2_re[k] + t3_re, x2_im = q2_im[k] + t3_im;
    const float x3_re = q2_re[k] - t3_re, x3_im = q2_im[k] - t3_im;
    // Stage 2·span: (x0, x2) with W, (x1, x3) with -i·W.
    const float u2_re = w2_re[w] * x2_re - w2_im[w] * x2_im;
    const float u2_im = w2_re[w] * x2_im + w2_im[w] * x2_re;
    const float v3_re = w2_re[w] * x3_re - w2_im[w] * x3_im;
    const float v3_im = w2_re[w] * x3_im + w2_im[w] * x3_re;
    Radix4Outputs(x0_re, x0_im, u2_re, u2_im, x1_re, x1_im, v3_re, v3_im, q0_re[k], q0_im[k], q1_re[k], q1_im[k],
                  q2_re[k], q2_im[k], q3_re[k], q3_im[k]);
  }
}

// Each q's four results (out0..3[q]) to its run at to + bit_reversed[q]. Four q at a time as a
// 4x4 transpose, a vector store per run: one scalar store per value was a fifth of a 256-point
// transform's instructions (callgrind). Moves only: no float changes.
inline __attribute__((always_inline)) void ScatterRuns(const float* __restrict out0, const float* __restrict out1,
                                                       const float* __restrict out2, const float* __restrict out3,
                                                       const uint16_t* __restrict bit_reversed, size_t quarter,
                                                       float* __restrict to) {
  size_t q = 0;
#if defined(__SSE__)
  for (; q + 4 <= quarter; q += 4) {
    __m128 row0 = _mm_loadu_ps(out0 + q);
    __m128 row1 = _mm_loadu_ps(out1 + q);
    __m128 row2 = _mm_loadu_ps(out2 + q);
    __m128 row3 = _mm_loadu_ps(out3 + q);
    _MM_TRANSPOSE4_PS(row0, row1, row2, row3);
    _mm_storeu_ps(to + bit_reversed[q], row0);
    _mm_storeu_ps(to + bit_reversed[q + 1], row1);
    _mm_storeu_ps(to + bit_reversed[q + 2], row2);
    _mm_storeu_ps(to + bit_reversed[q + 3], row3);
  }
#endif
  for (; q < quarter; ++q) {
    float* run = to + bit_reversed[q];
    run[0] = out0[q];
    run[1] = out1[q];
    run[2] = out2[q];
    run[3] = out3[q];
  }
}

// Whether the loader picked the x86-64-v3 clones (vector_clones.h). ScatterRuns8 is theirs: the
// baseline clone's SSE2 lowering of its 256-bit shuffles made a 256-point transform 12% dearer
// than with ScatterRuns (callgrind).
inline bool AvxClone() {
#if defined(PARLEY_VECTOR_CLONES_BUILT)
  return __builtin_cpu_supports("x86-64-v3");
#else
  return false;
#endif
}

// ScatterRuns for two runs of four that are eight consecutive points: run q's four results at
// first + j·stride (j < 4), the next run's at second + j·stride, eight q at a time as an 8x8
// transpose, one 8-float store per pair of runs (on the x86-64-v3 clone, two of ScatterRuns'
// 4x4 transposes took half again the instructions). Vector extensions, not AVX intrinsics, so
// that the baseline clone builds too (it does not run this: AvxClone). `count` a multiple of 8.
// Moves only.
inline __attribute__((always_inline)) void ScatterRuns8(const float* __restrict first, const float* __restrict second,
                                                        size_t stride, const uint16_t* __restrict bit_reversed,
                                                        size_t count, float* __restrict to) {
  typedef float Floats __attribute__((vector_size(32)));
  for (size_t q = 0; q < count; q += 8) {
    Floats r[8];
#pragma GCC unroll 4
    for (size_t j = 0; j < 4; ++j) {
      std::memcpy(&r[j], first + j * stride + q, sizeof r[j]);
      std::memcpy(&r[j + 4], second + j * stride + q, sizeof r[j + 4]);
    }
    // unpcklps / unpckhps, shufps, vperm2f128: the AVX transpose.
    Floats t[8], u[8];
    for (size_t i = 0; i < 8; i += 2) {
      t[i] = __builtin_shufflevector(r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
      t[i + 1] = __builtin_shufflevector(r[i], r[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
    }
    for (size_t i = 0; i < 8; i += 4) {
      u[i] = __builtin_shufflevector(t[i], t[i + 2], 0, 1, 8, 9, 4, 5, 12, 13);
      u[i + 1] = __builtin_shufflevector(t[i], t[i + 2], 2, 3, 10, 11, 6, 7, 14, 15);
      u[i + 2] = __builtin_shufflevector(t[i + 1], t[i + 3], 0, 1, 8, 9, 4, 5, 12, 13);
      u[i + 3] = __builtin_shufflevector(t[i + 1], t[i + 3], 2, 3, 10, 11, 6, 7, 14, 15);
    }
    for (size_t j = 0; j < 4; ++j) {
      const Floats low = __builtin_shufflevector(u[j], u[j + 4], 0, 1, 2, 3, 8, 9, 10, 11);
      const Floats high = __builtin_shufflevector(u[j], u[j + 4], 4, 5, 6, 7, 12, 13, 14, 15);
      std::memcpy(to + bit_reversed[q + j], &low, sizeof low);
      std::memcpy(to + bit_reversed[q + j + 4], &high, sizeof high);
    }
  }
}

// FirstPasses' spans 4 and 8 in its quarter arrays (out_k at quarters + k·4·runs), then every
// point to its place in re/im.
inline __attribute__((always_inline)) void Span4Stages(const float* __restrict stage_re,
                                                       const float* __restrict stage_im,
                                                       const uint16_t* __restrict bit_reversed, size_t runs,
                                                       float* __restrict quarters_re, float* __restrict quarters_im,
                                                       float* __restrict re, float* __restrict im) {
  const size_t quarter = 4 * runs;
  for (size_t k = 0; k < 4; ++k) {
    float* q_re = quarters_re + k * quarter;
    float* q_im = quarters_im + k * quarter;
    Butterfly2Stages<0>(q_re, q_im, q_re + 2 * runs, q_im + 2 * runs, q_re + runs, q_im + runs, q_re + 3 * runs,
                        q_im + 3 * runs, stage_re + 4 + k, stage_im + 4 + k, stage_re + 8 + k, stage_im + 8 + k, runs);
  }
  // bit_reversed[m'] for m' < runs is 16·rev(m'): the run of 16 that m' stands for.
  const size_t rev2[4] = {0, 2, 1, 3};
  if (runs % 8 == 0 && AvxClone()) {
    // Quarters q and q + 1 of a run of 16 are eight consecutive points.
    for (size_t q = 0; q < 4; q += 2) {
      const size_t at = rev2[q] * runs;
      const size_t next = rev2[q + 1] * runs;
      ScatterRuns8(quarters_re + at, quarters_re + next, quarter, bit_reversed, runs, re + 4 * q);
      ScatterRuns8(quarters_im + at, quarters_im + next, quarter, bit_reversed, runs, im + 4 * q);
    }
    return;
  }
  for (size_t q = 0; q < 4; ++q) {
    const size_t at = rev2[q] * runs;
    ScatterRuns(quarters_re + at, quarters_re + quarter + at, quarters_re + 2 * quarter + at,
                quarters_re + 3 * quarter + at, bit_reversed, runs, re + 4 * q);
    ScatterRuns(quarters_im + at, quarters_im + quarter + at, quarters_im + 2 * quarter + at,
                quarters_im + 3 * quarter + at, bit_reversed, runs, im + 4 * q);
  }
}

// The first stages, before the bit-reversed points are in place. Spans 1 and 2 have twiddles 1
// and -i only: one radix-4 pass over each run of four, with no multiply (their one- and
// two-element inner loops would cost more than their butterflies). It reads its input in
// bit-reversed order straight from `src` (point i at src_re[i·kStride], src_im[i·kStride])
// rather than from a permuted copy: the permutation costs no pass of its own. The run starting
// at rev(q) (q < half/4, so rev(q) is a multiple of 4) takes the points
// q + {0, half/2, half/4, 3·half/4}: contiguous over q, so the pass runs over q (it vectorises)
// into four quarter arrays, out_j[q] being point rev(q) + j.
//
// From 16 points on, spans 4 and 8 are done there too, before a loop moves the results to their
// runs. Point 16m + 4Q + k is out_k[rev2(Q)·runs + rev(m)] (runs = half/16; rev over the bits of
// m, rev2 over two): for each k, the four quarters of every run of 16 are four contiguous arrays
// over m with the same twiddles, so the double stage runs over m with its twiddles in registers
// (vectors of eight runs, with no shuffle), where over the points of a run (four to a quarter,
// half an AVX2 vector) it was a fifth of a 256-point transform's instructions, a third of them
// lane shuffles (callgrind). The same butterflies on the same floats, in another order. Returns
// the span the butterfly passes go on from.
template <size_t kStride>
inline __attribute__((always_inline)) size_t FirstPasses(const float* __restrict src_re, const float* __restrict src_im,
                                                         const uint16_t* __restrict bit_reversed,
                                                         const float* __restrict stage_re,
                                                         const float* __restrict stage_im, size_t half,
                                                         float* __restrict quarters_re, float* __restrict quarters_im,
                                                         float* __restrict re, float* __restrict im) {
  if (half == 2) {
    // Two points: bit reversal leaves them in place, and there is one stage.
    re[0] = src_re[0] + src_re[kStride];
    im[0] = src_im[0] + src_im[kStride];
    re[1] = src_re[0] - src_re[kStride];
    im[1] = src_im[0] - src_im[kStride];
    return 2;
  }
  const size_t quarter = half / 4;
  float* __restrict out0_re = quarters_re;
  float* __restrict out1_re = quarters_re + quarter;
  float* __restrict out2_re = quarters_re + 2 * quarter;
  float* __restrict out3_re = quarters_re + 3 * quarter;
  float* __restrict out0_im = quarters_im;
  float* __restrict out1_im = quarters_im + quarter;
  float* __restrict out2_im = quarters_im + 2 * quarter;
  float* __restrict out3_im = quarters_im + 3 * quarter;
  // Inlined, the restrict above is lost and GCC gives up on run-time checks for its sixteen
  // pairs of arrays: the quarters overlap neither each other nor src.
#pragma GCC ivdep
  for (size_t q = 0; q < quarter; ++q) {
    const size_t at0 = q * kStride;
    const size_t at1 = (q + 2 * quarter) * kStride;
    const size_t at2 = (q + quarter) * kStride;
    const size_t at3 = (q + 3 * quarter) * kStride;
    const float s0_re = src_re[at0] + src_re[at1], s0_im = src_im[at0] + src_im[at1];
    const float d0_re = src_re[at0] - src_re[at1], d0_im = src_im[at0] - src_im[at1];
    const float s1_re = src_re[at2] + src_re[at3], s1_im = src_im[at2] + src_im[at3];
    const float d1_re = src_re[at2] - src_re[at3], d1_im = src_im[at2] - src_im[at3];
    Radix4Outputs(s0_re, s0_im, s1_re, s1_im, d0_re, d0_im, d1_re, d1_im, out0_re[q], out0_im[q], out1_re[q],
                  out1_im[q], out2_re[q], out2_im[q], out3_re[q], out3_im[q]);
  }
  if (half < 16) {
    ScatterRuns(out0_re, out1_re, out2_re, out3_re, bit_reversed, quarter, re);
    ScatterRuns(out0_im, out1_im, out2_im, out3_im, bit_reversed, quarter, im);
    return 4;
  }
  // The 256- and 512-point transforms (8 and 16 runs) with the count a constant: whole vectors
  // and no loop around them (the loops over an unknown count cost as much again in set-up).
  switch (half / 16) {
    case 8:
      Span4Stages(stage_re, stage_im, bit_reversed, 8, quarters_re, quarters_im, re, im);
      break;
    case 16:
      Span4Stages(stage_re, stage_im, bit_reversed, 16, quarters_re, quarters_im, re, im);
      break;
    default:
      Span4Stages(stage_re, stage_im, bit_reversed, half / 16, quarters_re, quarters_im, re, im);
  }
  return 16;
}

// A transform's working arrays: the half-size FFT's, Repack's in-order result, the first radix-4
// pass's results in input order (a quarter array per output of a run), and split spectra for the
// interleaved faces. Nothing in them outlives a transform, so every Fft on a thread shares one
// set: with hundreds of calls, a set per Fft (four or more per call) had left the cache by the
// call's next frame, and each transform fetched its lines from memory only to overwrite them.
// Sized for the largest Fft made on the thread; a transform on a thread that made none sizes
// that thread's set once. re and im have a value past the half-size FFT's (Unpack's).
struct Workspace {
  std::vector<float> re, im, z_re, z_im, quarters_re, quarters_im, spectrum_re, spectrum_im;
};

Workspace& ThreadWorkspace(size_t half) {
  thread_local Workspace workspace;
  if (workspace.re.size() < half + 1) {
    for (std::vector<float>* array :
         {&workspace.z_re, &workspace.z_im, &workspace.quarters_re, &workspace.quarters_im}) {
      array->resize(half);
    }
    for (std::vector<float>* array : {&workspace.re, &workspace.im, &workspace.spectrum_re, &workspace.spectrum_im}) {
      array->resize(half + 1);
    }
  }
  return workspace;
}

}  // namespace

Fft::Fft(size_t size) : size_(size), half_(size / 2), tables_(SharedTable<Fft, Tables>(size, &Build)) {
  ThreadWorkspace(half_);
}

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
  tables.twiddle_re.resize(half);
  tables.twiddle_im.resize(half);
  for (size_t k = 0; k < half; ++k) {
    tables.twiddle_re[k] = static_cast<float>(std::cos(step * static_cast<double>(k)));
    tables.twiddle_im[k] = static_cast<float>(std::sin(step * static_cast<double>(k)));
  }
  tables.stage_re.resize(half);
  tables.stage_im.resize(half);
  for (size_t span = 1; span < half; span *= 2) {
    for (size_t k = 0; k < span; ++k) {
      tables.stage_re[span + k] = tables.twiddle_re[k * (half / span)];
      tables.stage_im[span + k] = tables.twiddle_im[k * (half / span)];
    }
  }
  return tables;
}

PARLEY_VECTOR_CLONES
void Fft::Forward(const float* __restrict input, float* spectrum_re, float* spectrum_im) {
  Workspace& work = ThreadWorkspace(half_);
  // The packed signal: even samples real, odd imaginary.
  const size_t span = FirstPasses<2>(input, input + 1, tables_.bit_reversed.data(), tables_.stage_re.data(),
                                     tables_.stage_im.data(), half_, work.quarters_re.data(), work.quarters_im.data(),
                                     work.re.data(), work.im.data());
  Butterflies(work.re.data(), work.im.data(), span, 0, half_);
  Unpack(work.re.data(), work.im.data(), spectrum_re, spectrum_im);
}

void Fft::Forward(const float* input, std::complex<float>* spectrum) {
  Workspace& work = ThreadWorkspace(half_);
  Forward(input, work.spectrum_re.data(), work.spectrum_im.data());
  for (size_t k = 0; k <= half_; ++k) spectrum[k] = {work.spectrum_re[k], work.spectrum_im[k]};
}

PARLEY_VECTOR_CLONES
void Fft::Unpack(float* __restrict re, float* __restrict im, float* __restrict spectrum_re,
                 float* __restrict spectrum_im) const {
  // X[k] = E[k] + W^k O[k], with E and O the spectra of the even and odd samples,
  // E[k] = (Z[k] + conj Z[half-k]) / 2 and O[k] = (Z[k] - conj Z[half-k]) / 2i. Plain float
  // arithmetic instead of std::complex's operator* (whose C99 Annex G NaN recovery branches keep
  // loops scalar).
  const float* __restrict w_re = tables_.twiddle_re.data();
  const float* __restrict w_im = tables_.twiddle_im.data();
  const size_t half = half_;
  // Z[half] = Z[0] (Z has period half): the loop then takes k = 0 too and runs in whole vectors,
  // where over 1..half-1 its scalar epilogue was a third of its instructions (callgrind, 256
  // points). Bins 0 and half are set after it, from their exact formulas.
  re[half] = re[0];
  im[half] = im[0];
  for (size_t k = 0; k < half; ++k) {
    const float even_re = 0.5f * (re[k] + re[half - k]);
    const float even_im = 0.5f * (im[k] - im[half - k]);
    const float odd_re = 0.5f * (im[k] + im[half - k]);
    const float odd_im = -0.5f * (re[k] - re[half - k]);
    spectrum_re[k] = even_re + w_re[k] * odd_re - w_im[k] * odd_im;
    spectrum_im[k] = even_im + w_re[k] * odd_im + w_im[k] * odd_re;
  }
  spectrum_re[0] = re[0] + im[0];
  spectrum_im[0] = 0.0f;
  spectrum_re[half] = re[0] - im[0];
  spectrum_im[half] = 0.0f;
}

// One pass of Butterfly2Stages over every run of 4·span points.
inline __attribute__((always_inline)) void DoubleStagePass(float* re, float* im, const float* stage_re,
                                                           const float* stage_im, size_t span, size_t half) {
  for (size_t start = 0; start < half; start += 4 * span) {
    float* r = re + start;
    float* i = im + start;
    Butterfly2Stages<1>(r, i, r + span, i + span, r + 2 * span, i + 2 * span, r + 3 * span, i + 3 * span,
                        stage_re + span, stage_im + span, stage_re + 2 * span, stage_im + 2 * span, span);
  }
}

// The last pass, one run (of 4·span points when `double_stage`, else of 2·span), over the
// butterflies from..to of each of its quarters (halves).
inline __attribute__((always_inline)) void LastPass(float* re, float* im, const float* stage_re, const float* stage_im,
                                                    size_t span, bool double_stage, size_t from, size_t to) {
  float* r = re + from;
  float* i = im + from;
  if (double_stage) {
    Butterfly2Stages<1>(r, i, r + span, i + span, r + 2 * span, i + 2 * span, r + 3 * span, i + 3 * span,
                        stage_re + span + from, stage_im + span + from, stage_re + 2 * span + from,
                        stage_im + 2 * span + from, to - from);
  } else {
    Butterfly(r, i, r + span, i + span, stage_re + span + from, stage_im + span + from, to - from);
  }
}

PARLEY_VECTOR_CLONES
void Fft::Butterflies(float* __restrict re, float* __restrict im, size_t span, size_t first, size_t last) const {
  const float* stage_re = tables_.stage_re.data();
  const float* stage_im = tables_.stage_im.data();
  for (; 4 * span < half_; span *= 4) {
    // The short span with the span a constant: the compiler then lays each run out in whole
    // vectors with no loop around them (FirstPasses took the shorter one, span 4).
    switch (span) {
      case 16:
        DoubleStagePass(re, im, stage_re, stage_im, 16, half_);
        break;
      default:
        DoubleStagePass(re, im, stage_re, stage_im, span, half_);
    }
  }
  if (span >= half_) return;  // every stage done
  // The last pass is one run, two stages or (an odd number of stages) one, and its point z comes
  // from the butterfly at z mod span of it: [first, last) from those at first mod span on,
  // wrapping round span.
  const bool double_stage = 4 * span == half_;
  if (last - first >= span) {
    LastPass(re, im, stage_re, stage_im, span, double_stage, 0, span);
    return;
  }
  const size_t from = first % span;
  const size_t to = from + (last - first);
  if (to <= span) {
    LastPass(re, im, stage_re, stage_im, span, double_stage, from, to);
  } else {
    LastPass(re, im, stage_re, stage_im, span, double_stage, from, span);
    LastPass(re, im, stage_re, stage_im, span, double_stage, 0, to - span);
  }
}

PARLEY_VECTOR_CLONES
void Fft::Repack(const float* __restrict spectrum_re, const float* __restrict spectrum_im, float* __restrict z_re,
                 float* __restrict z_im) const {
  // The half-size complex spectrum Z = E + iO of z[n] = x[2n] + i x[2n+1] (the inverse of
  // Unpack, using X[k + half] = conj X[half - k] for a real signal), conjugated for the inverse
  // as conj(FFT(conj Z)) / half. Computed in order (the loop vectorises); FirstPasses reads it in
  // bit-reversed order.
  const float* __restrict w_re = tables_.twiddle_re.data();
  const float* __restrict w_im = tables_.twiddle_im.data();
  const size_t half = half_;
  for (size_t k = 0; k < half; ++k) {
    const float b_re = spectrum_re[half - k];
    const float b_im = -spectrum_im[half - k];
    const float even_re = 0.5f * (spectrum_re[k] + b_re);
    const float even_im = 0.5f * (spectrum_im[k] + b_im);
    const float diff_re = 0.5f * (spectrum_re[k] - b_re);
    const float diff_im = 0.5f * (spectrum_im[k] - b_im);
    // O[k] = (X[k] - conj X[half-k]) / 2 * conj(W^k)
    const float odd_re = diff_re * w_re[k] + diff_im * w_im[k];
    const float odd_im = diff_im * w_re[k] - diff_re * w_im[k];
    z_re[k] = even_re - odd_im;
    z_im[k] = -(even_im + odd_re);
  }
}

void Fft::Inverse(const float* spectrum_re, const float* spectrum_im, float* output) {
  Inverse(spectrum_re, spectrum_im, 0, size_, output);
}

PARLEY_VECTOR_CLONES
void Fft::Inverse(const float* spectrum_re, const float* spectrum_im, size_t from, size_t to,
                  float* __restrict output) {
  Workspace& work = ThreadWorkspace(half_);
  Repack(spectrum_re, spectrum_im, work.z_re.data(), work.z_im.data());
  const size_t span = FirstPasses<1>(work.z_re.data(), work.z_im.data(), tables_.bit_reversed.data(),
                                     tables_.stage_re.data(), tables_.stage_im.data(), half_, work.quarters_re.data(),
                                     work.quarters_im.data(), work.re.data(), work.im.data());
  // Sample 2n is point n's real part, 2n + 1 its imaginary part negated.
  Butterflies(work.re.data(), work.im.data(), span, from / 2, (to + 1) / 2);
  const float scale = 1.0f / static_cast<float>(half_);
  const float* __restrict re = work.re.data();
  const float* __restrict im = work.im.data();
  size_t at = from;
  if (at % 2 != 0) {
    output[0] = -im[at / 2] * scale;
    ++at;
  }
  // Whole points from here on.
  float* __restrict paired = output + (at - from);
  const float* __restrict point_re = re + at / 2;
  const float* __restrict point_im = im + at / 2;
  const size_t points = (to - at) / 2;
  for (size_t n = 0; n < points; ++n) {
    paired[2 * n] = point_re[n] * scale;
    paired[2 * n + 1] = -point_im[n] * scale;
  }
  if ((to - at) % 2 != 0) paired[2 * points] = point_re[points] * scale;
}

void Fft::Inverse(const std::complex<float>* spectrum, float* output) {
  Workspace& work = ThreadWorkspace(half_);
  for (size_t k = 0; k <= half_; ++k) {
    work.spectrum_re[k] = spectrum[k].real();
    work.spectrum_im[k] = spectrum[k].imag();
  }
  Inverse(work.spectrum_re.data(), work.spectrum_im.data(), output);
}

}  // namespace parley

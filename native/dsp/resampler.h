// Streaming polyphase windowed-sinc (Kaiser) resampler between 8, 16, 24 and 48 kHz. Filter
// state is carried across calls, so 20 ms frames join without clicks; nothing is allocated after
// construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace parley {

class Resampler {
 public:
  // The longest input handled in one pass; longer inputs are processed in chunks.
  static constexpr size_t kMaxChunkSamples = 4800;

  // Throws std::invalid_argument for a rate outside {8000, 16000, 24000, 48000} (22050 also as input).
  Resampler(int input_rate_hz, int output_rate_hz);

  // Consumes all `input_samples`; writes at most MaxOutputSamples(input_samples) to `out` and
  // returns how many were written. For whole 10 ms multiples the output count is exact
  // (input_samples * output_rate / input_rate).
  size_t Process(const int16_t* in, size_t input_samples, int16_t* out);
  size_t MaxOutputSamples(size_t input_samples) const;
  // Group delay of the filter, in milliseconds.
  double delay_ms() const;
  void Reset();

  int input_rate_hz() const { return input_rate_hz_; }
  int output_rate_hz() const { return output_rate_hz_; }

 private:
  size_t ProcessChunk(const int16_t* in, size_t input_samples, int16_t* out);
  // Any ratio: a lane per tap, the lanes summed per output.
  size_t Polyphase(const float* samples, size_t input_samples, int16_t* out);
  // Whole-number ratios (8 <-> 16 kHz: every telephone leg with the bot at 16 kHz) take a lane
  // per output instead of a lane per tap: kBlockOutputs outputs of one phase at a time, each
  // tap broadcast once over them, and no sum across lanes per output.
  // `samples`: the history, then the chunk, then room for a block's reads past its end.
  size_t Upsample(const float* samples, size_t input_samples, int16_t* out);
  size_t Decimate(const float* samples, size_t input_samples, int16_t* out);

  // Partial sums per output sample: two SSE registers on baseline x86-64. Measured against 16, 8
  // wins: less zero padding on the short 8 and 16 kHz phases (docs/benchmarks.md).
  static constexpr size_t kLanes = 8;
  // kLanes floats as a GCC/Clang vector: one AVX register, or two SSE ones.
  typedef float Lanes __attribute__((vector_size(kLanes * sizeof(float))));
  // Outputs computed together on the whole-number paths: four vectors of kLanes.
  static constexpr size_t kBlockOutputs = 4 * kLanes;

  // The polyphase filter of one rate pair, shared by every resampler of that pair (SharedTable).
  struct Filter {
    int up;                     // L: interpolation factor
    int down;                   // M: decimation factor
    size_t padded_taps;         // the taps per phase rounded up to a multiple of kLanes
    size_t taps_per_phase;      // of which the last ones are the filter's (the first are 0)
    size_t length;              // taps of the prototype at the upsampled rate
    std::vector<float> phases;  // [phase][padded_taps - 1 - tap]: prototype coefficient phase + tap * L
  };
  static const Filter& FilterFor(int input_rate_hz, int output_rate_hz);
  static Filter Design(const std::pair<int, int>& rates);

  int input_rate_hz_;
  int output_rate_hz_;
  const Filter& filter_;
  // The newest padded_taps - 1 input samples, which the next call's first outputs reach back to.
  // Only they are the resampler's own: a call works on them and its chunk in a scratch buffer
  // that every resampler of the thread shares (Scratch in resampler.cc). A buffer of its own per
  // resampler (19 KB, two per call) was cache-cold at every frame, and its misses cost as much
  // as the arithmetic.
  std::vector<float> history_;
  size_t next_position_ = 0;    // next output's position, in upsampled samples from the chunk start
};

}  // namespace parley

// Streaming polyphase windowed-sinc resampler between 8, 16, 24 and 48 kHz. Filter state is carried
// across calls, so 20 ms frames join without clicks.
#pragma once

#include <cstddef>
#include <cstdint>

namespace parley {

class Resampler {
 public:
  // Throws std::invalid_argument for a rate outside {8000, 16000, 24000, 48000}.
  Resampler(int input_rate_hz, int output_rate_hz);
  ~Resampler();
  Resampler(const Resampler&) = delete;
  Resampler& operator=(const Resampler&) = delete;

  // Consumes all `input_samples`; writes at most MaxOutputSamples(input_samples) to `out` and
  // returns how many were written. For whole 10 ms multiples the output count is exact
  // (input_samples * output_rate / input_rate).
  size_t Process(const int16_t* in, size_t input_samples, int16_t* out);
  size_t MaxOutputSamples(size_t input_samples) const;
  // Group delay of the filter, in milliseconds of the output.
  double delay_ms() const;
  void Reset();

  int input_rate_hz() const { return input_rate_hz_; }
  int output_rate_hz() const { return output_rate_hz_; }

 private:
  int input_rate_hz_;
  int output_rate_hz_;
  struct Impl;
  Impl* impl_;
};

}  // namespace parley

#include "dsp/resampler.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>

#include "dsp/shared_table.h"
#include "dsp/vector_clones.h"

namespace parley {
namespace {

constexpr double kPi = 3.14159265358979323846;
// Design targets (measured figures are in docs/resampler.md): 60+ dB stopband from the lower
// rate's Nyquist frequency, passband to 86 % of it (6.9 kHz at 16 kHz). The 14 %-of-Nyquist
// transition at this attenuation keeps 48 -> 16 kHz under 2 ms of delay (Kaiser: N ~ (A - 8) /
// (2.285 dw)): streaming resamplers with long filters add tens of ms a caller can hear.
constexpr double kStopbandDb = 66.0;
constexpr double kPassEdge = 0.43;  // of the lower rate
constexpr double kStopEdge = 0.5;

bool SupportedRate(int rate_hz) { return rate_hz == 8000 || rate_hz == 16000 || rate_hz == 24000 || rate_hz == 48000; }
// 22.05 kHz is accepted as an input only: it is espeak-ng's output rate, for the demo bot's speech.
bool SupportedInputRate(int rate_hz) { return SupportedRate(rate_hz) || rate_hz == 22050; }

// Working memory every resampler of a thread shares (its calls run one at a time), so it stays in
// cache from one call's resampling to the next: the input with its history, and Decimate's
// streams. Each resampler grows it at construction to the most its calls can ask for, and it
// is never given back, so a call allocates nothing.
enum class Slot { kSamples, kStreams };
float* Scratch(Slot slot, size_t floats) {
  thread_local std::vector<float> buffers[2];
  std::vector<float>& buffer = buffers[static_cast<size_t>(slot)];
  if (buffer.size() < floats) buffer.resize(floats);
  return buffer.data();
}

// Decimate's streams, each as far as the last block's taps reach, for `count` outputs.
size_t StreamReach(size_t count, size_t padded_taps, size_t down, size_t block) {
  return (count + block - 1) / block * block + (padded_taps - 1) / down + 1;
}

double BesselI0(double x) {
  double sum = 1.0;
  double term = 1.0;
  for (int k = 1; k < 50; ++k) {
    term *= (x / (2.0 * k)) * (x / (2.0 * k));
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  return sum;
}

}  // namespace

Resampler::Resampler(int input_rate_hz, int output_rate_hz)
    : input_rate_hz_(input_rate_hz),
      output_rate_hz_(output_rate_hz),
      filter_(FilterFor(input_rate_hz, output_rate_hz)),
      history_(filter_.padded_taps - 1, 0.0f) {
  // On the thread that will run it (a session's engine builds its resamplers there).
  Scratch(Slot::kSamples, history_.size() + kMaxChunkSamples + kBlockOutputs);
  const size_t down = static_cast<size_t>(filter_.down);
  if (filter_.up == 1 && down > 1) {
    const size_t most_outputs = (kMaxChunkSamples + down - 1) / down;
    Scratch(Slot::kStreams, StreamReach(most_outputs, filter_.padded_taps, down, kBlockOutputs) * down);
  }
}

const Resampler::Filter& Resampler::FilterFor(int input_rate_hz, int output_rate_hz) {
  if (!SupportedInputRate(input_rate_hz) || !SupportedRate(output_rate_hz)) {
    throw std::invalid_argument("resampler rates must be 8000, 16000, 24000 or 48000 Hz (22050 Hz as input) (got " +
                                std::to_string(input_rate_hz) + " -> " + std::to_string(output_rate_hz) + ")");
  }
  return SharedTable<Resampler, Filter>(std::make_pair(input_rate_hz, output_rate_hz), &Design);
}

Resampler::Filter Resampler::Design(const std::pair<int, int>& rates) {
  const auto [input_rate_hz, output_rate_hz] = rates;
  Filter filter;
  const int divisor = std::gcd(input_rate_hz, output_rate_hz);
  filter.up = output_rate_hz / divisor;
  filter.down = input_rate_hz / divisor;
  const size_t up = static_cast<size_t>(filter.up);

  const double high_rate = static_cast<double>(input_rate_hz) * filter.up;
  const double low_rate = std::min(input_rate_hz, output_rate_hz);
  const double pass_hz = kPassEdge * low_rate;
  const double stop_hz = kStopEdge * low_rate;
  const double transition = 2.0 * kPi * (stop_hz - pass_hz) / high_rate;
  const double beta = 0.1102 * (kStopbandDb - 8.7);
  size_t length = static_cast<size_t>(std::ceil((kStopbandDb - 8.0) / (2.285 * transition))) + 1;
  if (length % 2 == 0) ++length;  // odd: an integer group delay
  filter.length = length;
  const size_t taps_per_phase = (length + up - 1) / up;

  // Windowed sinc at the upsampled rate, cut off mid-transition, gain L (interpolation puts L-1
  // zeros between input samples).
  const double cutoff = (pass_hz + stop_hz) / 2.0 / high_rate;  // cycles per sample
  const double centre = (static_cast<double>(length) - 1.0) / 2.0;
  std::vector<double> prototype(taps_per_phase * up, 0.0);
  for (size_t n = 0; n < length; ++n) {
    const double t = static_cast<double>(n) - centre;
    const double sinc = t == 0.0 ? 2.0 * cutoff : std::sin(2.0 * kPi * cutoff * t) / (kPi * t);
    const double ratio = t / centre;
    const double window = BesselI0(beta * std::sqrt(std::max(0.0, 1.0 - ratio * ratio))) / BesselI0(beta);
    prototype[n] = sinc * window * filter.up;
  }
  // Each phase stored oldest tap first and padded at the old end with zero taps to a multiple of
  // kLanes, so the inner product reads taps and samples forwards in whole blocks of lanes.
  filter.padded_taps = (taps_per_phase + kLanes - 1) / kLanes * kLanes;
  filter.taps_per_phase = taps_per_phase;
  filter.phases.assign(filter.padded_taps * up, 0.0f);
  for (size_t phase = 0; phase < up; ++phase) {
    float* reversed = filter.phases.data() + phase * filter.padded_taps + filter.padded_taps - 1;
    for (size_t tap = 0; tap < taps_per_phase; ++tap) {
      reversed[-static_cast<std::ptrdiff_t>(tap)] = static_cast<float>(prototype[phase + tap * up]);
    }
  }
  return filter;
}

size_t Resampler::MaxOutputSamples(size_t input_samples) const {
  return (input_samples * static_cast<size_t>(filter_.up)) / static_cast<size_t>(filter_.down) + 1;
}

double Resampler::delay_ms() const {
  return (static_cast<double>(filter_.length) - 1.0) / 2.0 / (static_cast<double>(input_rate_hz_) * filter_.up) * 1000.0;
}

void Resampler::Reset() {
  std::fill(history_.begin(), history_.end(), 0.0f);
  next_position_ = 0;
}

size_t Resampler::Process(const int16_t* in, size_t input_samples, int16_t* out) {
  size_t written = 0;
  while (input_samples > 0) {
    const size_t chunk = std::min(input_samples, kMaxChunkSamples);
    written += ProcessChunk(in, chunk, out + written);
    in += chunk;
    input_samples -= chunk;
  }
  return written;
}

size_t Resampler::ProcessChunk(const int16_t* in, size_t input_samples, int16_t* out) {
  const size_t history = history_.size();
  // Upsample's last block reads up to kBlockOutputs samples past the chunk (lanes it discards).
  float* samples = Scratch(Slot::kSamples, history + input_samples + kBlockOutputs);
  std::copy(history_.begin(), history_.end(), samples);
  for (size_t i = 0; i < input_samples; ++i) samples[history + i] = static_cast<float>(in[i]);
  size_t written;
  if (filter_.down == 1) {
    written = Upsample(samples, input_samples, out);
  } else if (filter_.up == 1) {
    written = Decimate(samples, input_samples, out);
  } else {
    written = Polyphase(samples, input_samples, out);
  }
  // Keep the newest `history` samples for the next call.
  std::copy(samples + input_samples, samples + input_samples + history, history_.begin());
  return written;
}

namespace {

// Clamping first keeps the conversion in range; lrint rounds half to even in the default rounding
// mode, and compiles to one cvtss2si instead of a libm call.
inline int16_t ToPcm(float value) { return static_cast<int16_t>(std::lrint(std::clamp(value, -32768.0f, 32767.0f))); }

// Four blocks of kLanes consecutive outputs as four independent chains of multiply-adds (one
// chain's latency bounded the loop), each a vector variable of its own: an array of vectors was
// copied through the stack on every tap.
template <typename Lanes>
struct FourSums {
  Lanes a = {}, b = {}, c = {}, d = {};

  // Adds `tap` times the four blocks that start at `window`. (Loads are memcpy into vector
  // variables: unaligned, and no vector crosses a function boundary, whose ABI would differ
  // between the two builds; this is inlined into each.)
  __attribute__((always_inline)) void Add(float tap, const float* window) {
    constexpr size_t kLanes = sizeof(Lanes) / sizeof(float);
    Lanes block;
    std::memcpy(&block, window, sizeof(Lanes));
    a += tap * block;
    std::memcpy(&block, window + kLanes, sizeof(Lanes));
    b += tap * block;
    std::memcpy(&block, window + 2 * kLanes, sizeof(Lanes));
    c += tap * block;
    std::memcpy(&block, window + 3 * kLanes, sizeof(Lanes));
    d += tap * block;
  }

  __attribute__((always_inline)) void Merge(const FourSums& other) {
    a += other.a;
    b += other.b;
    c += other.c;
    d += other.d;
  }

  // Writes the first `count` of the 4 x kLanes sums as PCM to out[0], out[stride], ...: clamped,
  // then rounded half to even as ToPcm's lrint does (adding and taking away 1.5 x 2^23 leaves a
  // float of this range rounded to an integer in the default rounding mode), in vectors: a
  // scalar clamp and conversion per output cost as much as its multiply-adds.
  __attribute__((always_inline)) void Store(size_t count, int16_t* out, size_t stride) const {
    constexpr size_t kLanes = sizeof(Lanes) / sizeof(float);
    typedef int32_t Ints __attribute__((vector_size(kLanes * sizeof(int32_t))));
    constexpr float kRound = 12582912.0f;
    int32_t results[4 * kLanes];
    const Lanes* sums[4] = {&a, &b, &c, &d};
    for (size_t k = 0; k < 4; ++k) {
      Lanes value = *sums[k];
      value = value < -32768.0f ? -32768.0f : value;
      value = value > 32767.0f ? 32767.0f : value;
      const Ints rounded = __builtin_convertvector((value + kRound) - kRound, Ints);
      std::memcpy(results + k * kLanes, &rounded, sizeof(Ints));
    }
    for (size_t j = 0; j < count; ++j) out[j * stride] = static_cast<int16_t>(results[j]);
  }
};

}  // namespace

// The inner products are most of a resampling call's cost: on x86-64 a second copy built for
// AVX2 (8 float lanes instead of SSE2's 4, chosen once at load time by the CPU it runs on) makes
// the resampler about 1.4 times as fast. That copy fuses each multiply-add (vector_clones.h), so
// an output may differ in its last bit between CPUs; on one CPU it depends only on the input, not
// on how the input was cut into calls.
PARLEY_VECTOR_CLONES
size_t Resampler::Polyphase(const float* samples, size_t input_samples, int16_t* out) {
  const size_t padded_taps = filter_.padded_taps;
  const size_t up = static_cast<size_t>(filter_.up);
  const size_t down = static_cast<size_t>(filter_.down);
  const size_t end = input_samples * up;
  // The output's position in upsampled samples is newest * up + phase: kept as the pair, so no
  // output pays two integer divisions.
  size_t newest = next_position_ / up;
  size_t phase = next_position_ % up;
  size_t written = 0;
  while (newest * up + phase < end) {
    // The window ends at the newest input sample that contributes.
    const float* taps = filter_.phases.data() + phase * padded_taps;
    const float* oldest = samples + newest;
    // Partial sums in two vectors of kLanes, alternating blocks: a fixed order the compiler keeps
    // (streamed output equals one-shot output bit for bit), and two independent chains of adds
    // instead of one, whose latency bounded the loop.
    // (Loads are memcpy into vector variables: unaligned, and no vector crosses a function
    // boundary, whose ABI would differ between the two builds.)
    Lanes even = {};
    Lanes odd = {};
    Lanes tap_block;
    Lanes sample_block;
    size_t block = 0;
    for (; block + 2 * kLanes <= padded_taps; block += 2 * kLanes) {
      std::memcpy(&tap_block, taps + block, sizeof(Lanes));
      std::memcpy(&sample_block, oldest + block, sizeof(Lanes));
      even += tap_block * sample_block;
      std::memcpy(&tap_block, taps + block + kLanes, sizeof(Lanes));
      std::memcpy(&sample_block, oldest + block + kLanes, sizeof(Lanes));
      odd += tap_block * sample_block;
    }
    if (block < padded_taps) {
      std::memcpy(&tap_block, taps + block, sizeof(Lanes));
      std::memcpy(&sample_block, oldest + block, sizeof(Lanes));
      even += tap_block * sample_block;
    }
    even += odd;
    // Lane l plus lane l + 4, then + 2, then + 1, in registers.
    even += __builtin_shufflevector(even, even, 4, 5, 6, 7, 0, 1, 2, 3);
    even += __builtin_shufflevector(even, even, 2, 3, 0, 1, 2, 3, 0, 1);
    even += __builtin_shufflevector(even, even, 1, 0, 1, 0, 1, 0, 1, 0);
    out[written++] = ToPcm(even[0]);
    phase += down;
    while (phase >= up) {
      phase -= up;
      ++newest;
    }
  }
  next_position_ = newest * up + phase - end;
  return written;
}

// Upsampling by L (down 1): every input sample makes L outputs, one per phase, and the outputs of
// one phase for consecutive inputs read consecutive windows of the input: lane j of a block is
// the window one sample later than lane j - 1's. Two phases at a time read the same windows: eight
// chains of multiply-adds, enough to keep both of a core's FMA units busy (four bounded the loop
// at one a cycle). Each output is summed tap by tap in one order however the input was cut, so
// streamed output equals one-shot output.
PARLEY_VECTOR_CLONES
size_t Resampler::Upsample(const float* samples, size_t input_samples, int16_t* out) {
  const size_t up = static_cast<size_t>(filter_.up);
  const size_t padded_taps = filter_.padded_taps;
  const size_t first_tap = padded_taps - filter_.taps_per_phase;  // the ones before are 0
  for (size_t phase = 0; phase < up; phase += 2) {
    const float* taps = filter_.phases.data() + phase * padded_taps;
    // With an odd L the last phase pairs with itself (computed twice, stored once).
    const float* next_taps = phase + 1 < up ? taps + padded_taps : taps;
    for (size_t newest = 0; newest < input_samples; newest += kBlockOutputs) {
      FourSums<Lanes> sums;
      FourSums<Lanes> next_sums;
      for (size_t tap = first_tap; tap < padded_taps; ++tap) {
        const float* window = samples + newest + tap;
        sums.Add(taps[tap], window);
        next_sums.Add(next_taps[tap], window);
      }
      const size_t count = std::min(kBlockOutputs, input_samples - newest);
      sums.Store(count, out + newest * up + phase, up);
      if (phase + 1 < up) next_sums.Store(count, out + newest * up + phase + 1, up);
    }
  }
  next_position_ = 0;
  return input_samples * up;
}

// Decimation by M (up 1): output j reads the window at j * M, so its lane would stride by M
// through the input. Split into M streams by the sample's index modulo M, tap t's sample of
// consecutive outputs lies in consecutive floats of stream t mod M, at t / M: the blocks of
// Upsample again. The even taps and the odd ones are summed apart (eight chains, as there) and
// then added.
PARLEY_VECTOR_CLONES
size_t Resampler::Decimate(const float* samples, size_t input_samples, int16_t* out) {
  const size_t down = static_cast<size_t>(filter_.down);
  const size_t padded_taps = filter_.padded_taps;
  // From an even tap (a zero one if need be), so the taps go in pairs.
  const size_t first_tap = (padded_taps - filter_.taps_per_phase) & ~size_t{1};
  const size_t available = padded_taps - 1 + input_samples;  // history and chunk
  const size_t first = next_position_;  // the first output's window starts here
  if (first >= input_samples) {
    next_position_ = first - input_samples;
    return 0;
  }
  const size_t count = (input_samples - first + down - 1) / down;
  const size_t reach = StreamReach(count, padded_taps, down, kBlockOutputs);
  float* streams = Scratch(Slot::kStreams, reach * down);
  for (size_t r = 0; r < down; ++r) {
    // Stream r's samples at first + r + t * M lie in the history and chunk for t < inside, and
    // are 0 past it: a copy with no test per sample, with a constant stride for 16 -> 8 kHz.
    float* stream = streams + r * reach;
    const float* from = samples + first + r;
    const size_t inside = first + r < available ? std::min(reach, (available - first - r + down - 1) / down) : 0;
    if (down == 2) {
      for (size_t t = 0; t < inside; ++t) stream[t] = from[2 * t];
    } else {
      for (size_t t = 0; t < inside; ++t) stream[t] = from[t * down];
    }
    std::fill(stream + inside, stream + reach, 0.0f);
  }
  const float* taps = filter_.phases.data();
  for (size_t start = 0; start < count; start += kBlockOutputs) {
    FourSums<Lanes> even;
    FourSums<Lanes> odd;
    // Tap t reads stream t mod M at t / M, counted along without a division per tap.
    size_t stream = first_tap % down;
    size_t offset = start + first_tap / down;
    const auto window = [&]() {
      const float* at = streams + stream * reach + offset;
      if (++stream == down) {
        stream = 0;
        ++offset;
      }
      return at;
    };
    for (size_t tap = first_tap; tap < padded_taps; tap += 2) {
      even.Add(taps[tap], window());
      odd.Add(taps[tap + 1], window());
    }
    even.Merge(odd);
    even.Store(std::min(kBlockOutputs, count - start), out + start, 1);
  }
  next_position_ = first + count * down - input_samples;
  return count;
}

}  // namespace parley

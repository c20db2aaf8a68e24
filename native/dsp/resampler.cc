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
      buffer_(filter_.padded_taps - 1 + kMaxChunkSamples, 0.0f) {}

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
  std::fill(buffer_.begin(), buffer_.end(), 0.0f);
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

// The inner products are most of a resampling call's cost: on x86-64 a second copy built for
// AVX2 (8 float lanes instead of SSE2's 4, chosen once at load time by the CPU it runs on) makes
// the resampler about 1.4 times as fast. The arithmetic is the same in both copies (no FMA
// contraction), so the output does not depend on the CPU.
PARLEY_VECTOR_CLONES
size_t Resampler::ProcessChunk(const int16_t* in, size_t input_samples, int16_t* out) {
  const size_t padded_taps = filter_.padded_taps;
  const size_t history = padded_taps - 1;
  float* samples = buffer_.data();
  for (size_t i = 0; i < input_samples; ++i) samples[history + i] = static_cast<float>(in[i]);

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
    float lanes[kLanes];
    std::memcpy(lanes, &even, sizeof(lanes));
    for (size_t width = kLanes / 2; width > 0; width /= 2) {
      for (size_t lane = 0; lane < width; ++lane) lanes[lane] += lanes[lane + width];
    }
    // Clamping first keeps the conversion in range; lrint rounds half to even in the default
    // rounding mode like nearbyint did, and compiles to one cvtss2si instead of a libm call.
    out[written++] = static_cast<int16_t>(std::lrint(std::clamp(lanes[0], -32768.0f, 32767.0f)));
    phase += down;
    while (phase >= up) {
      phase -= up;
      ++newest;
    }
  }
  next_position_ = newest * up + phase - end;
  // Keep the newest `history` samples for the next call.
  std::copy(samples + input_samples, samples + input_samples + history, samples);
  return written;
}

}  // namespace parley

// The G.722 physical floor for bench/codecs/transcode.bench.ts: Parley's G.722 classes and
// libspandsp's, called straight from C++ on the same speech, timed side by side in one process.
// Built at bench time into bench/.build/ (never part of the addon).
// Usage: g722-timing <repetitions> < speech.s16 (PCM16 little-endian, 16 kHz)
// Prints: <parley ns per 20 ms frame> <spandsp ns per 20 ms frame>, each the best of 7 rounds
// taken in turn, so load from other processes on a shared machine skews neither side alone.
#include <spandsp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "codec/g722_decoder.h"
#include "codec/g722_encoder.h"

namespace {

constexpr size_t kFrameSamples = 320;
constexpr size_t kFrameOctets = 160;

template <typename Codec>
double NsPerFrame(const std::vector<int16_t>& speech, int repetitions, Codec&& encode_decode) {
  const size_t frames = speech.size() / kFrameSamples;
  const auto start = std::chrono::steady_clock::now();
  for (int r = 0; r < repetitions; ++r) {
    for (size_t f = 0; f < frames; ++f) encode_decode(speech.data() + f * kFrameSamples);
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  return std::chrono::duration<double, std::nano>(elapsed).count() / (static_cast<double>(frames) * repetitions);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const int repetitions = std::atoi(argv[1]);
  std::vector<int16_t> speech;
  int16_t chunk[4096];
  size_t n;
  while ((n = fread(chunk, sizeof(int16_t), 4096, stdin)) > 0) speech.insert(speech.end(), chunk, chunk + n);
  if (speech.size() < kFrameSamples) return 2;

  uint8_t codes[kFrameOctets];
  int16_t decoded[kFrameSamples];
  volatile int16_t sink = 0;  // keeps the optimiser from dropping the work

  parley::G722Encoder encoder;
  parley::G722Decoder decoder;
  g722_encode_state_t* spandsp_encoder = g722_encode_init(nullptr, 64000, 0);
  g722_decode_state_t* spandsp_decoder = g722_decode_init(nullptr, 64000, 0);
  double parley_ns = 1e18;
  double spandsp_ns = 1e18;
  for (int round = 0; round < 7; ++round) {
    parley_ns = std::min(parley_ns, NsPerFrame(speech, repetitions, [&](const int16_t* frame) {
      encoder.Encode(frame, kFrameSamples, codes);
      decoder.Decode(codes, kFrameOctets, decoded);
      sink = sink + decoded[0];
    }));
    spandsp_ns = std::min(spandsp_ns, NsPerFrame(speech, repetitions, [&](const int16_t* frame) {
      g722_encode(spandsp_encoder, codes, frame, kFrameSamples);
      g722_decode(spandsp_decoder, decoded, codes, kFrameOctets);
      sink = sink + decoded[0];
    }));
  }
  g722_encode_free(spandsp_encoder);
  g722_decode_free(spandsp_decoder);

  std::printf("%.1f %.1f\n", parley_ns, spandsp_ns);
  return 0;
}

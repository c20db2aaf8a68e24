// Signal tests of OpusFrameDecoder's concealment, as a native program built with ASan/UBSan
// (test/unit/native/opus-conceal.test.ts runs it): concealment asked for in any length continues
// the voice without a gap. libopus conceals only whole 2.5 ms steps and SILK only 10 ms frames: a
// 2.5 ms step came out as zeros and any other length as nothing at all, both in the middle of the
// jitter buffer's concealment and of an Opus DTX pause's comfort noise.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "codec/opus_decoder.h"
#include "codec/opus_encoder.h"
#include "test/check.h"

namespace {

using parley::OpusEncoderOptions;
using parley::OpusFrameDecoder;
using parley::OpusFrameEncoder;

constexpr int kRateHz = 8000;
constexpr size_t kFrame = 160;
constexpr double kPi = 3.14159265358979323846;
// Never produced by the decoder's concealment of this tone at this level: marks samples it left
// unwritten.
constexpr int16_t kUnwritten = 32767;

// A decoder that has just played 200 ms of a voiced tone.
void PlayTone(OpusFrameDecoder& decoder) {
  OpusEncoderOptions options;
  options.sample_rate_hz = kRateHz;
  options.bitrate_bps = 24000;
  options.in_band_fec = false;
  OpusFrameEncoder encoder(options);
  std::vector<int16_t> pcm(kFrame);
  std::vector<uint8_t> packet(400);
  std::vector<int16_t> out(kFrame);
  for (size_t frame = 0; frame < 10; ++frame) {
    for (size_t i = 0; i < kFrame; ++i) {
      const double t = 2 * kPi * 160.0 * static_cast<double>(frame * kFrame + i) / kRateHz;
      pcm[i] = static_cast<int16_t>(std::lrint(5000 * std::sin(t) + 2000 * std::sin(2 * t + 0.3) + 900 * std::sin(3 * t + 1.1)));
    }
    const int bytes = encoder.Encode(pcm.data(), kFrame, packet.data(), packet.size());
    decoder.Decode(packet.data(), static_cast<size_t>(bytes), out.data(), kFrame);
  }
}

double Rms(const int16_t* x, size_t samples) {
  double energy = 0;
  for (size_t i = 0; i < samples; ++i) energy += static_cast<double>(x[i]) * x[i];
  return std::sqrt(energy / static_cast<double>(samples));
}

// 40 ms of concealment asked for in `steps` (repeated), checked 2.5 ms at a time: every sample
// written, and no 2.5 ms far quieter than the one before it (libopus's fade is gradual).
void ConcealsWithoutAGap(const std::vector<size_t>& steps, const char* what) {
  OpusFrameDecoder decoder(kRateHz);
  PlayTone(decoder);
  std::vector<int16_t> out(2 * kFrame, kUnwritten);
  for (size_t at = 0, k = 0; at < out.size(); ++k) {
    const size_t n = std::min(steps[k % steps.size()], out.size() - at);
    const int result = decoder.Conceal(out.data() + at, n);
    if (result != static_cast<int>(n)) {
      parley_test::Check(false, what, result);
      return;
    }
    at += n;
  }
  size_t unwritten = 0;
  for (const int16_t sample : out) unwritten += sample == kUnwritten;
  double worst = 1.0;
  for (size_t at = 20; at + 20 <= out.size(); at += 20) {
    const double before = Rms(out.data() + at - 20, 20);
    if (before > 100) worst = std::min(worst, Rms(out.data() + at, 20) / before);
  }
  parley_test::Check(unwritten == 0 && worst > 0.3, what, unwritten > 0 ? -static_cast<double>(unwritten) : worst);
}

// The decoder conceals `first` samples, decodes a DTX packet and conceals a frame (30 samples
// take one 10 ms step of libopus, as 80 do).
std::vector<int16_t> ConcealDecodeConceal(size_t first) {
  OpusFrameDecoder decoder(kRateHz);
  PlayTone(decoder);
  std::vector<int16_t> out(kFrame);
  decoder.Conceal(out.data(), first);
  const uint8_t dtx = 0x08;
  decoder.Decode(&dtx, 1, out.data(), kFrame);
  std::vector<int16_t> after(kFrame);
  decoder.Conceal(after.data(), kFrame);
  return after;
}

void DecodeAfterConcealment() {
  // The rest of a concealment step kept for later is dropped by a decode: the concealment after
  // it continues from the decoded audio, as that of a decoder that kept nothing back does.
  const std::vector<int16_t> kept = ConcealDecodeConceal(30);
  const std::vector<int16_t> whole = ConcealDecodeConceal(80);
  size_t differing = 0;
  for (size_t i = 0; i < kFrame; ++i) differing += kept[i] != whole[i];
  parley_test::Check(differing == 0, "a decode drops what a concealment kept back", static_cast<double>(differing));
}

}  // namespace

int main() {
  ConcealsWithoutAGap({80}, "10 ms steps conceal without a gap");
  ConcealsWithoutAGap({20}, "2.5 ms steps conceal without a gap");
  ConcealsWithoutAGap({92, 28, 44}, "steps of any length conceal without a gap");
  DecodeAfterConcealment();
  return parley_test::Finish("opus-conceal");
}

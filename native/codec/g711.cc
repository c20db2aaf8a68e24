#include "codec/g711.h"

#include <array>

namespace parley::g711 {
namespace {

// The segment rules of ITU-T G.711 as the ITU's own software implements them (G.191 STL,
// g711.c): µ-law on 14 bits with a bias of 33, A-law on 13 bits, negative inputs folded by one's
// complement (~x), and bits inverted on the wire (all for µ-law, the even ones, 0x55, for A-law).
// The widespread Sun-derived encoders negate instead (-x) and so differ from the ITU for 127
// negative inputs per law.
uint8_t UlawFromLinear(int16_t pcm) {
  int magnitude = (pcm < 0 ? (~pcm) >> 2 : pcm >> 2) + 33;
  if (magnitude > 0x1fff) magnitude = 0x1fff;
  int segment = 1;
  for (int i = magnitude >> 6; i != 0; i >>= 1) ++segment;
  const int code = ((8 - segment) << 4) | (0x0f - ((magnitude >> segment) & 0x0f));
  return static_cast<uint8_t>(pcm >= 0 ? code | 0x80 : code);
}

int16_t LinearFromUlaw(uint8_t code) {
  code = static_cast<uint8_t>(~code);
  const int exponent = (code >> 4) & 0x07;
  const int mantissa = code & 0x0f;
  const int magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  return static_cast<int16_t>((code & 0x80) ? -magnitude : magnitude);
}

uint8_t AlawFromLinear(int16_t pcm) {
  int value = pcm >> 3;  // 13-bit
  uint8_t sign_mask;
  if (value >= 0) {
    sign_mask = 0xD5;  // sign bit set (positive) with the even-bit inversion 0x55
  } else {
    sign_mask = 0x55;
    value = -value - 1;
  }
  if (value > 0x0fff) value = 0x0fff;
  int segment = 0;
  for (int limit = 0x1f; value > limit && segment < 7; limit = (limit << 1) | 1) ++segment;
  const int mantissa = segment < 1 ? (value >> 1) & 0x0f : (value >> segment) & 0x0f;
  return static_cast<uint8_t>(((segment << 4) | mantissa) ^ sign_mask);
}

int16_t LinearFromAlaw(uint8_t code) {
  code ^= 0x55;
  const int segment = (code >> 4) & 0x07;
  int magnitude = (code & 0x0f) << 4;
  magnitude += segment == 0 ? 8 : 0x108;
  if (segment > 1) magnitude <<= segment - 1;
  return static_cast<int16_t>((code & 0x80) ? magnitude : -magnitude);
}

// Lookup tables built once from the functions above. With G.191's one's-complement folding a
// µ-law code depends only on pcm >> 2 and an A-law code only on pcm >> 3 (for negative inputs
// ~x >> n equals ~(x >> n)), so the encoders' tables have 16K and 8K entries instead of 64K each:
// less of the cache for a media node that runs a whole call's pipeline between two frames. (In a
// tight loop over one buffer both sizes run at the same speed: `npm run bench -- codecs`.)
constexpr int kUlawShift = 2;
constexpr int kAlawShift = 3;

struct Tables {
  std::array<int16_t, 256> ulaw_decode;
  std::array<int16_t, 256> alaw_decode;
  std::array<uint8_t, (65536 >> kUlawShift)> ulaw_encode;
  std::array<uint8_t, (65536 >> kAlawShift)> alaw_encode;

  Tables() {
    for (int code = 0; code < 256; ++code) {
      ulaw_decode[code] = LinearFromUlaw(static_cast<uint8_t>(code));
      alaw_decode[code] = LinearFromAlaw(static_cast<uint8_t>(code));
    }
    for (size_t i = 0; i < ulaw_encode.size(); ++i) {
      ulaw_encode[i] = UlawFromLinear(static_cast<int16_t>((static_cast<int>(i) << kUlawShift) - 32768));
    }
    for (size_t i = 0; i < alaw_encode.size(); ++i) {
      alaw_encode[i] = AlawFromLinear(static_cast<int16_t>((static_cast<int>(i) << kAlawShift) - 32768));
    }
  }
};

// The table index of a sample: its top bits, offset to start at 0.
template <int kShift>
inline size_t EncodeIndex(int16_t pcm) {
  return static_cast<size_t>((pcm >> kShift) + (32768 >> kShift));
}

const Tables& tables() {
  static const Tables instance;
  return instance;
}

}  // namespace

uint8_t EncodeUlawSample(int16_t pcm) { return tables().ulaw_encode[EncodeIndex<kUlawShift>(pcm)]; }
int16_t DecodeUlawSample(uint8_t code) { return tables().ulaw_decode[code]; }
uint8_t EncodeAlawSample(int16_t pcm) { return tables().alaw_encode[EncodeIndex<kAlawShift>(pcm)]; }
int16_t DecodeAlawSample(uint8_t code) { return tables().alaw_decode[code]; }

void EncodeUlaw(const int16_t* pcm, size_t samples, uint8_t* out) {
  const auto& table = tables().ulaw_encode;
  for (size_t i = 0; i < samples; ++i) out[i] = table[EncodeIndex<kUlawShift>(pcm[i])];
}

void DecodeUlaw(const uint8_t* codes, size_t samples, int16_t* out) {
  const auto& table = tables().ulaw_decode;
  for (size_t i = 0; i < samples; ++i) out[i] = table[codes[i]];
}

void EncodeAlaw(const int16_t* pcm, size_t samples, uint8_t* out) {
  const auto& table = tables().alaw_encode;
  for (size_t i = 0; i < samples; ++i) out[i] = table[EncodeIndex<kAlawShift>(pcm[i])];
}

void DecodeAlaw(const uint8_t* codes, size_t samples, int16_t* out) {
  const auto& table = tables().alaw_decode;
  for (size_t i = 0; i < samples; ++i) out[i] = table[codes[i]];
}

}  // namespace parley::g711

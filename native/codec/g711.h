// ITU-T G.711 companding: 14-bit (µ-law) / 13-bit (A-law) linear PCM in the top bits of an int16.
#pragma once

#include <cstddef>
#include <cstdint>

namespace parley::g711 {

uint8_t EncodeUlawSample(int16_t pcm);
int16_t DecodeUlawSample(uint8_t code);
uint8_t EncodeAlawSample(int16_t pcm);
int16_t DecodeAlawSample(uint8_t code);

// Block forms: `out` holds `samples` entries. One byte per sample either way.
void EncodeUlaw(const int16_t* pcm, size_t samples, uint8_t* out);
void DecodeUlaw(const uint8_t* codes, size_t samples, int16_t* out);
void EncodeAlaw(const int16_t* pcm, size_t samples, uint8_t* out);
void DecodeAlaw(const uint8_t* codes, size_t samples, int16_t* out);

}  // namespace parley::g711

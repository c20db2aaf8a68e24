#include "codec/base64_decoder.h"

#include <array>

namespace parley::base64 {
namespace {

constexpr char16_t kPad = u'=';
constexpr char16_t kAscii = 0x7f;
// Set in a group's value when one of its characters is outside the alphabet.
constexpr uint32_t kInvalid = 0x80000000u;

// A character's 6 bits already in place for its position in a group (the first at bit 18, the
// last at bit 0), so a group is four lookups OR-ed; kInvalid for an ASCII character outside the
// alphabet. Indexed by the low 7 bits: characters past ASCII are refused apart (see Decode).
using Table = std::array<uint32_t, 128>;
constexpr Table MakeTable(int shift) {
  Table table{};
  for (uint32_t& value : table) value = kInvalid;
  const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (uint32_t i = 0; i < 64; ++i) table[static_cast<uint8_t>(alphabet[i])] = i << shift;
  return table;
}
constexpr Table kFirst = MakeTable(18), kSecond = MakeTable(12), kThird = MakeTable(6), kFourth = MakeTable(0);

}  // namespace

DecodeStatus Decode(const char16_t* text, size_t text_units, uint8_t* out, size_t out_capacity, size_t* decoded_bytes) {
  *decoded_bytes = 0;
  if (text_units % 4 != 0) return DecodeStatus::kNotBase64;
  if (out_capacity < MaxDecodedBytes(text_units)) return DecodeStatus::kOutputTooSmall;
  if (text_units == 0) return DecodeStatus::kOk;
  const size_t padding = text[text_units - 1] != kPad ? 0 : text[text_units - 2] != kPad ? 1 : 2;
  // Faults are gathered and tested once, after the loop: `seen` keeps kInvalid once any group has
  // it, and `units` any bit above ASCII.
  uint32_t seen = 0;
  char16_t units = 0;
  const size_t whole_groups = text_units / 4 - 1;
  uint8_t* write = out;
  for (const char16_t* read = text; read != text + whole_groups * 4; read += 4) {
    units |= read[0] | read[1] | read[2] | read[3];
    const uint32_t group = kFirst[read[0] & kAscii] | kSecond[read[1] & kAscii] | kThird[read[2] & kAscii] | kFourth[read[3] & kAscii];
    seen |= group;
    write[0] = static_cast<uint8_t>(group >> 16);
    write[1] = static_cast<uint8_t>(group >> 8);
    write[2] = static_cast<uint8_t>(group);
    write += 3;
  }
  // The last group: its padded places count as zero bits and write no byte.
  const char16_t* last = text + whole_groups * 4;
  const Table* tables[4] = {&kFirst, &kSecond, &kThird, &kFourth};
  uint32_t group = 0;
  for (size_t i = 0; i < 4 - padding; ++i) {
    units |= last[i];
    group |= (*tables[i])[last[i] & kAscii];
  }
  seen |= group;
  if ((seen & kInvalid) != 0 || units > kAscii) return DecodeStatus::kNotBase64;
  for (size_t i = 0; i < 3 - padding; ++i) *write++ = static_cast<uint8_t>(group >> (16 - 8 * i));
  *decoded_bytes = static_cast<size_t>(write - out);
  return DecodeStatus::kOk;
}

}  // namespace parley::base64

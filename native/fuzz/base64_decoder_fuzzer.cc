// The Twilio media payload's base64 decoder against a reference written the plain way (the rule
// read off the regular expression the TypeScript check used, /^[A-Za-z0-9+/]*={0,2}$/ on a length
// that is a multiple of four, and a decode six bits at a time): any difference in verdict or bytes
// aborts. The output buffer is exactly the capacity the input asks for, so ASan catches a write
// past it.
//   input: [u16 output capacity][text: a byte per code unit, or 0xff then a unit's two bytes]
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "codec/base64_decoder.h"
#include "fuzz/fuzz_input.h"

using namespace parley;
using parley::fuzz::Check;
using parley::fuzz::FuzzInput;

namespace {

const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int ValueOf(char16_t c) {
  if (c == 0 || c > 0x7f) return -1;  // strchr would find the terminator, or a unit's low byte
  const char* at = std::strchr(kAlphabet, static_cast<char>(c));
  return at == nullptr ? -1 : static_cast<int>(at - kAlphabet);
}

// The regular expression's verdict: alphabet characters, then at most two '=', then the end.
bool ReferenceAccepts(const char16_t* text, size_t length) {
  if (length % 4 != 0) return false;
  size_t i = 0;
  while (i < length && ValueOf(text[i]) >= 0) ++i;
  size_t pads = 0;
  while (i < length && text[i] == '=') ++i, ++pads;
  return i == length && pads <= 2;
}

std::vector<uint8_t> ReferenceDecode(const char16_t* text, size_t length) {
  std::vector<uint8_t> bytes;
  uint32_t bits = 0;
  int held = 0;
  for (size_t i = 0; i < length && text[i] != '='; ++i) {
    bits = (bits << 6) | static_cast<uint32_t>(ValueOf(text[i]));
    held += 6;
    if (held >= 8) {
      held -= 8;
      bytes.push_back(static_cast<uint8_t>(bits >> held));
      bits &= (1u << held) - 1;
    }
  }
  return bytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput input(data, size);
  const size_t capacity = input.U16() % 4096;
  std::vector<char16_t> units;
  while (!input.empty()) {
    const uint8_t byte = input.U8();
    units.push_back(byte == 0xff ? static_cast<char16_t>(input.U16()) : byte);
  }
  // Arrays of exactly the text's and the output's lengths, so ASan bounds both (a vector's
  // spare capacity would hide a read past its end).
  const size_t length = units.size();
  std::unique_ptr<char16_t[]> owned_text(new char16_t[length]);
  std::copy(units.begin(), units.end(), owned_text.get());
  std::unique_ptr<uint8_t[]> out(new uint8_t[capacity]);
  size_t decoded = 1;
  const base64::DecodeStatus status = base64::Decode(owned_text.get(), length, out.get(), capacity, &decoded);
  if (length % 4 != 0) {
    Check(status == base64::DecodeStatus::kNotBase64 && decoded == 0);
  } else if (capacity < base64::MaxDecodedBytes(length)) {
    Check(status == base64::DecodeStatus::kOutputTooSmall && decoded == 0);
  } else if (!ReferenceAccepts(owned_text.get(), length)) {
    Check(status == base64::DecodeStatus::kNotBase64 && decoded == 0);
  } else {
    Check(status == base64::DecodeStatus::kOk);
    const std::vector<uint8_t> expected = ReferenceDecode(owned_text.get(), length);
    Check(decoded == expected.size() && std::equal(expected.begin(), expected.end(), out.get()));
  }
  return 0;
}

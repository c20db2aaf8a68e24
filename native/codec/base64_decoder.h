// Base64 as Twilio Media Streams sends it (RFC 4648 section 4): the standard alphabet only, padded
// to whole groups of four, at most two '=' and only at the end. Stricter than Node's decoder, which
// skips characters outside the alphabet, takes the URL-safe one and stops at an early '='. Like
// Node's (and RFC 4648 section 3.5 allows it), the unused bits of a padded last group are ignored.
// The text is UTF-16 code units, as a JS string hands them over: copying a string out as UTF-16
// costs a third of copying it as UTF-8 (docs/benchmarks.md), and Latin-1 would keep only a
// character's low byte (U+0141 would read as 'A').
#pragma once

#include <cstddef>
#include <cstdint>

namespace parley::base64 {

enum class DecodeStatus {
  kOk,
  // Not a whole number of groups, a character outside the alphabet, or '=' anywhere but the last two.
  kNotBase64,
  // `out_capacity` is below MaxDecodedBytes(text_units): nothing was read or written.
  kOutputTooSmall,
};

// The most bytes a text of `text_units` characters decodes to (its groups times three), so a
// caller can refuse a text too long for its buffer before copying it anywhere.
constexpr size_t MaxDecodedBytes(size_t text_units) { return text_units / 4 * 3; }

// Decodes `text` into `out`, setting `*decoded_bytes`; on a refusal `*decoded_bytes` is 0 and
// `out` may hold partial output.
DecodeStatus Decode(const char16_t* text, size_t text_units, uint8_t* out, size_t out_capacity, size_t* decoded_bytes);

}  // namespace parley::base64

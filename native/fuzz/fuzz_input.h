// Reads structured values off a fuzzer's bytes (a reduced FuzzedDataProvider, which ships with
// clang's libFuzzer only, and this tree also builds its harnesses with GCC). Past the end it
// returns zeros and empty spans, so a harness never reads outside the input.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace parley::fuzz {

class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  bool empty() const { return offset_ >= size_; }
  uint8_t U8() { return offset_ < size_ ? data_[offset_++] : 0; }
  // Big-endian, each byte read in its own statement: the operands of | are unsequenced, so one
  // expression could read them in either order.
  uint16_t U16() {
    const uint16_t high = U8();
    return static_cast<uint16_t>((high << 8) | U8());
  }
  uint32_t U32() {
    const uint32_t high = U16();
    return (high << 16) | U16();
  }
  // Up to `max` bytes, as many as are left; the pointer stays valid for the input's life.
  const uint8_t* Bytes(size_t max, size_t* length) {
    *length = std::min(max, size_ - std::min(offset_, size_));
    const uint8_t* start = data_ + std::min(offset_, size_);
    offset_ += *length;
    return start;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t offset_ = 0;
};

// Harness invariants: a broken one is a crash the driver reports with its input.
inline void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace parley::fuzz

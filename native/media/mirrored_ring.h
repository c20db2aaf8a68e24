// The last `size` values of a stream, contiguous from oldest() without shifting them on every
// push: each value is written twice, `size` apart, and the view slides over the doubled buffer.
// For loops that read a whole history (a correlation over lags) as one array.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <type_traits>
#include <vector>

namespace parley {

template <typename T>
class MirroredRing {
  static_assert(std::is_trivially_copyable_v<T>, "pushed with memcpy");

 public:
  // `pad` more values past the newest may be read (a vector block's spare lanes; their values are
  // the oldest ones again or zeros, their results unused).
  MirroredRing(size_t size, size_t pad) : size_(size), data_(2 * size + pad, T{}) {}

  // The last min(count, size()) of `values`, oldest first.
  void Push(const T* values, size_t count) {
    if (count > size_) {
      values += count - size_;
      count = size_;
    }
    // In at most two runs: up to the end of the first copy, then from its start.
    const size_t first = std::min(count, size_ - head_);
    Write(head_, values, first);
    Write(0, values + first, count - first);
    head_ = (head_ + count) % size_;
  }
  const T* oldest() const { return data_.data() + head_; }
  size_t size() const { return size_; }

 private:
  void Write(size_t at, const T* values, size_t count) {
    std::memcpy(data_.data() + at, values, count * sizeof(T));
    std::memcpy(data_.data() + at + size_, values, count * sizeof(T));
  }

  size_t size_;
  size_t head_ = 0;
  std::vector<T> data_;
};

}  // namespace parley

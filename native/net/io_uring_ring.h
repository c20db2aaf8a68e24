// One io_uring (its submission and completion rings) driven through its system calls, to hand the
// kernel many socket sends in one io_uring_enter: a send per call per frame, each its own syscall,
// was the largest part of the bot leg's cost (docs/benchmarks.md, "The bot leg's sends").
// Hand-written: liburing is a system library (npm install needs nothing beyond a compiler), and
// only setup, one kind of request, submit-and-wait and reaping are used.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>

struct io_uring_sqe;
struct io_uring_cqe;

namespace parley {

// A non-blocking send of `length` bytes to `fd`; `result` is what send(2) would return (bytes
// taken, possibly fewer than asked), or -errno.
struct StreamSend {
  int fd;
  const uint8_t* data;
  size_t length;
  ssize_t result;
};

class IoUringRing {
 public:
  // A kernel without io_uring (ENOSYS), one that forbids it (EPERM: seccomp,
  // kernel.io_uring_disabled) or one without IORING_OP_SEND (before 5.6) leaves the ring closed:
  // see open().
  explicit IoUringRing(unsigned entries);
  ~IoUringRing();
  IoUringRing(const IoUringRing&) = delete;
  IoUringRing& operator=(const IoUringRing&) = delete;

  bool open() const { return fd_ >= 0; }

  // Sends each with MSG_DONTWAIT (a full socket answers -EAGAIN or a short count at once, never
  // later: the caller owns what is left, in order) and waits for every completion. Returns false
  // if io_uring itself failed; the ring is then closed, the sends it never took are marked
  // -EAGAIN (not sent, safe to send again) and any it took without completing -EIO (unknown:
  // the caller must not send those bytes again on that socket).
  //
  // Waits without a time limit: MSG_DONTWAIT makes a send that cannot go at once fail at once
  // (-EAGAIN) instead of waiting for room, and without MSG_WAITALL a short send is not retried.
  bool SendAll(StreamSend* sends, size_t count);

 private:
  void Close();
  bool SupportsSend() const;
  // Reaps completions into `sends` (user_data is the index, below `count`); returns how many.
  size_t Reap(StreamSend* sends, size_t count);

  static constexpr int kMaxRetries = 64;

  int fd_ = -1;
  unsigned entries_ = 0;
  void* rings_ = nullptr;
  size_t rings_bytes_ = 0;
  io_uring_sqe* sqes_ = nullptr;
  size_t sqes_bytes_ = 0;
  unsigned* sq_head_ = nullptr;
  unsigned* sq_tail_ = nullptr;
  unsigned* sq_mask_ = nullptr;
  unsigned* sq_array_ = nullptr;
  unsigned* cq_head_ = nullptr;
  unsigned* cq_tail_ = nullptr;
  unsigned* cq_mask_ = nullptr;
  io_uring_cqe* cqes_ = nullptr;
};

}  // namespace parley

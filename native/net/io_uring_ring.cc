#include "net/io_uring_ring.h"

#include <errno.h>
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace parley {
namespace {

unsigned LoadAcquire(const unsigned* at) { return __atomic_load_n(at, __ATOMIC_ACQUIRE); }
void StoreRelease(unsigned* at, unsigned value) { __atomic_store_n(at, value, __ATOMIC_RELEASE); }

template <typename T>
T* At(void* base, uint32_t offset) {
  return reinterpret_cast<T*>(static_cast<char*>(base) + offset);
}

}  // namespace

IoUringRing::IoUringRing(unsigned entries) {
  io_uring_params params{};
  const long fd = syscall(__NR_io_uring_setup, entries, &params);
  if (fd < 0) return;
  fd_ = static_cast<int>(fd);
  // Kernels before 5.4 map the two rings apart, and IORING_OP_SEND came in 5.6 (before it, every
  // send would answer -EINVAL): without both the ring stays closed (plain sends).
  if ((params.features & IORING_FEAT_SINGLE_MMAP) == 0 || !SupportsSend()) {
    Close();
    return;
  }
  entries_ = params.sq_entries;
  rings_bytes_ = std::max<size_t>(params.sq_off.array + params.sq_entries * sizeof(unsigned),
                                  params.cq_off.cqes + params.cq_entries * sizeof(io_uring_cqe));
  void* rings = mmap(nullptr, rings_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, IORING_OFF_SQ_RING);
  if (rings == MAP_FAILED) {
    Close();
    return;
  }
  rings_ = rings;
  sqes_bytes_ = params.sq_entries * sizeof(io_uring_sqe);
  void* sqes = mmap(nullptr, sqes_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, IORING_OFF_SQES);
  if (sqes == MAP_FAILED) {
    Close();
    return;
  }
  sqes_ = static_cast<io_uring_sqe*>(sqes);
  sq_head_ = At<unsigned>(rings_, params.sq_off.head);
  sq_tail_ = At<unsigned>(rings_, params.sq_off.tail);
  sq_mask_ = At<unsigned>(rings_, params.sq_off.ring_mask);
  sq_array_ = At<unsigned>(rings_, params.sq_off.array);
  cq_head_ = At<unsigned>(rings_, params.cq_off.head);
  cq_tail_ = At<unsigned>(rings_, params.cq_off.tail);
  cq_mask_ = At<unsigned>(rings_, params.cq_off.ring_mask);
  cqes_ = At<io_uring_cqe>(rings_, params.cq_off.cqes);
}

IoUringRing::~IoUringRing() { Close(); }

bool IoUringRing::SupportsSend() const {
  constexpr unsigned kOps = 256;
  std::vector<uint8_t> buffer(sizeof(io_uring_probe) + kOps * sizeof(io_uring_probe_op));
  auto* probe = reinterpret_cast<io_uring_probe*>(buffer.data());
  if (syscall(__NR_io_uring_register, fd_, IORING_REGISTER_PROBE, probe, kOps) < 0) return false;
  return probe->last_op >= IORING_OP_SEND && (probe->ops[IORING_OP_SEND].flags & IO_URING_OP_SUPPORTED) != 0;
}

void IoUringRing::Close() {
  if (sqes_ != nullptr) munmap(sqes_, sqes_bytes_);
  if (rings_ != nullptr) munmap(rings_, rings_bytes_);
  if (fd_ >= 0) close(fd_);
  sqes_ = nullptr;
  rings_ = nullptr;
  fd_ = -1;
}

size_t IoUringRing::Reap(StreamSend* sends, size_t count) {
  unsigned head = *cq_head_;
  const unsigned tail = LoadAcquire(cq_tail_);
  size_t reaped = 0;
  for (; head != tail; ++head, ++reaped) {
    const io_uring_cqe& done = cqes_[head & *cq_mask_];
    if (done.user_data < count) sends[done.user_data].result = done.res;
  }
  StoreRelease(cq_head_, head);
  return reaped;
}

bool IoUringRing::SendAll(StreamSend* sends, size_t count) {
  if (!open()) return false;
  for (size_t first = 0; first < count;) {
    const unsigned batch = static_cast<unsigned>(std::min<size_t>(count - first, entries_));
    StreamSend* part = sends + first;
    unsigned tail = *sq_tail_;
    for (unsigned i = 0; i < batch; ++i, ++tail) {
      const unsigned slot = tail & *sq_mask_;
      io_uring_sqe& entry = sqes_[slot];
      std::memset(&entry, 0, sizeof entry);
      entry.opcode = IORING_OP_SEND;
      entry.fd = part[i].fd;
      entry.addr = reinterpret_cast<uintptr_t>(part[i].data);
      entry.len = static_cast<uint32_t>(part[i].length);
      entry.msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL;
      entry.user_data = i;
      sq_array_[slot] = slot;
      part[i].result = -EIO;
    }
    StoreRelease(sq_tail_, tail);
    const unsigned queued_head = *sq_head_;
    unsigned to_submit = batch;
    size_t completed = 0;
    // EINTR, EAGAIN and EBUSY are retried, but not forever: this runs on the media thread.
    int retries = 0;
    while (completed < batch) {
      const long entered = syscall(__NR_io_uring_enter, fd_, to_submit, static_cast<unsigned>(batch - completed), IORING_ENTER_GETEVENTS, nullptr, 0);
      if (entered >= 0) {
        to_submit -= std::min<unsigned>(to_submit, static_cast<unsigned>(entered));
      } else if ((errno != EINTR && errno != EAGAIN && errno != EBUSY) || ++retries > kMaxRetries) {
        // What the kernel never took was not sent; the rest stays -EIO unless it completed.
        const unsigned taken = LoadAcquire(sq_head_) - queued_head;
        for (unsigned i = taken; i < batch; ++i) part[i].result = -EAGAIN;
        Reap(part, batch);
        Close();
        return false;
      }
      completed += Reap(part, batch);
    }
    first += batch;
  }
  return true;
}

}  // namespace parley

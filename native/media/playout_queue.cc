#include "media/playout_queue.h"

#include <algorithm>
#include <cstring>

#include "media/sample_ring.h"

namespace parley {

PlayoutQueue::PlayoutQueue(size_t frame_samples, size_t max_samples)
    : frame_samples_(frame_samples), max_samples_(std::max(max_samples, frame_samples)) {}

void PlayoutQueue::Grow(size_t needed) {
  size_t capacity = std::max<size_t>(ring_.size(), frame_samples_ * 16);
  while (capacity < needed) capacity *= 2;
  capacity = std::min(capacity, max_samples_);
  if (capacity <= ring_.size()) return;
  std::vector<int16_t> grown(capacity);
  if (size_ > 0) RingRead(ring_, head_, grown.data(), size_);
  ring_.swap(grown);
  head_ = 0;
}

size_t PlayoutQueue::Push(const int16_t* pcm, size_t samples) {
  // Audio pushed into a dry queue starts a new answer. Decided here, not at the next Pop on an
  // empty queue: a bot that answers right after the queue drained would otherwise race the tick
  // that notices it, and its answer's playedMs would include the one before.
  if (size_ == 0) played_in_run_samples_ = 0;
  if (size_ + samples > ring_.size()) Grow(size_ + samples);
  const size_t accepted = std::min(samples, ring_.size() - size_);
  if (accepted > 0) RingWrite(ring_, (head_ + size_) % ring_.size(), pcm, accepted);
  size_ += accepted;
  pushed_total_ += accepted;
  dropped_samples_ += samples - accepted;
  return accepted;
}

bool PlayoutQueue::Mark(uint32_t mark_id) {
  if (mark_count_ == kMaxMarks) return false;
  marks_[(mark_head_ + mark_count_) % kMaxMarks] = {mark_id, pushed_total_};
  ++mark_count_;
  return true;
}

bool PlayoutQueue::Pop(int16_t* out, uint32_t* reached, size_t* reached_count) {
  if (size_ == 0) {
    // Marks placed on an empty queue are reached at once: there is nothing left to play before them.
    *reached_count = ReleaseMarks(popped_total_, reached);
    return false;
  }
  const size_t taken = std::min(frame_samples_, size_);
  RingRead(ring_, head_, out, taken);
  if (taken < frame_samples_) std::memset(out + taken, 0, (frame_samples_ - taken) * sizeof(int16_t));
  head_ = (head_ + taken) % ring_.size();
  size_ -= taken;
  popped_total_ += taken;
  played_samples_ += taken;
  played_in_run_samples_ += taken;
  *reached_count = ReleaseMarks(popped_total_, reached);
  return true;
}

size_t PlayoutQueue::ReleaseMarks(uint64_t up_to, uint32_t* reached) {
  size_t count = 0;
  while (mark_count_ > 0 && marks_[mark_head_].position <= up_to) {
    reached[count++] = marks_[mark_head_].id;
    mark_head_ = (mark_head_ + 1) % kMaxMarks;
    --mark_count_;
  }
  return count;
}

size_t PlayoutQueue::Clear(uint32_t* reached) {
  const size_t count = ReleaseMarks(UINT64_MAX, reached);
  popped_total_ = pushed_total_;
  played_in_run_samples_ = 0;
  head_ = 0;
  size_ = 0;
  return count;
}

}  // namespace parley

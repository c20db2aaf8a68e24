// The bot's audio on its way to the caller: PCM16 at the bot rate, popped one frame per tick,
// with named marks that are reported once every sample queued before them has been popped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace parley {

class PlayoutQueue {
 public:
  // `max_samples` bounds memory per call: a bot that outruns the caller by more is cut off
  // (counted in dropped_samples), never grown without bound.
  PlayoutQueue(size_t frame_samples, size_t max_samples);

  // Appends samples; returns how many were accepted (fewer when the queue is full).
  size_t Push(const int16_t* pcm, size_t samples);
  // Registers a mark at the current end of the queue. Returns false when too many marks are pending.
  bool Mark(uint32_t mark_id);
  // Pops one frame into `out` (zero-padded when less remains). Returns false, leaving `out`
  // untouched, when the queue holds no audio. Marks reached by this pop are appended to
  // `reached` (capacity kMaxMarks) and their count returned in `reached_count`.
  bool Pop(int16_t* out, uint32_t* reached, size_t* reached_count);
  // Drops all queued audio. Pending marks are reported as reached, in order (as Twilio's `clear`
  // answers outstanding marks), so a bot never waits for a mark that cannot come.
  size_t Clear(uint32_t* reached);

  size_t queued_samples() const { return size_; }
  bool empty() const { return size_ == 0; }
  uint64_t played_samples() const { return played_samples_; }
  // Samples played since the queue last ran dry or was cleared: how much of the bot's current
  // answer the caller has heard (a barge-in's playedMs), not counting earlier answers.
  uint64_t played_in_run_samples() const { return played_in_run_samples_; }
  uint64_t dropped_samples() const { return dropped_samples_; }

  // As many as a bot may have pending (engine/bot MAX_PENDING_MARKS), so a mark is never answered
  // before its audio has played for want of room here.
  static constexpr size_t kMaxMarks = 1024;

 private:
  struct PendingMark {
    uint32_t id;
    uint64_t position;  // absolute sample index (since creation) at which the mark is reached
  };

  size_t frame_samples_;
  size_t max_samples_;
  std::vector<int16_t> ring_;  // grows by doubling up to max_samples_, then never reallocates
  size_t head_ = 0;
  size_t size_ = 0;
  uint64_t pushed_total_ = 0;  // absolute index of the next pushed sample
  uint64_t popped_total_ = 0;  // absolute index of the next sample to pop
  uint64_t played_samples_ = 0;
  uint64_t played_in_run_samples_ = 0;
  uint64_t dropped_samples_ = 0;
  PendingMark marks_[kMaxMarks];
  size_t mark_head_ = 0;
  size_t mark_count_ = 0;

  void Grow(size_t needed);
  size_t ReleaseMarks(uint64_t up_to, uint32_t* reached);
};

}  // namespace parley

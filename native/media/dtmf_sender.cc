#include "media/dtmf_sender.h"

namespace parley {

DtmfSender::DtmfSender(int clock_rate_hz, int frame_ms)
    : frame_ms_(frame_ms),
      samples_per_frame_(static_cast<uint32_t>(clock_rate_hz / 1000 * frame_ms)),
      tone_frames_(kToneMs / frame_ms),
      gap_frames_((kGapMs + frame_ms - 1) / frame_ms) {}

bool DtmfSender::Enqueue(const char* digits, size_t count) {
  if (count > kMaxQueuedDigits - queued_) return false;
  for (size_t i = 0; i < count; ++i) {
    if (TelephoneEvent::EventOf(digits[i]) < 0) return false;
  }
  for (size_t i = 0; i < count; ++i) {
    queue_[(head_ + queued_) % kMaxQueuedDigits] = static_cast<uint8_t>(TelephoneEvent::EventOf(digits[i]));
    ++queued_;
  }
  return true;
}

bool DtmfSender::Tick(uint32_t frame_rtp_timestamp, DtmfPackets* out) {
  out->count = 0;
  if (frame_in_digit_ < 0) {
    if (queued_ == 0) return false;
    event_ = queue_[head_];
    head_ = (head_ + 1) % kMaxQueuedDigits;
    --queued_;
    frame_in_digit_ = 0;
    event_timestamp_ = frame_rtp_timestamp;
  }
  const int frame = frame_in_digit_++;
  if (frame >= tone_frames_) {
    // Inter-digit gap: audio flows again.
    if (frame_in_digit_ >= tone_frames_ + gap_frames_) frame_in_digit_ = -1;
    return false;
  }
  TelephoneEvent event;
  event.event = event_;
  event.volume_dbm0 = 10;
  event.duration = static_cast<uint16_t>(samples_per_frame_ * static_cast<uint32_t>(frame + 1));
  event.end = frame == tone_frames_ - 1;
  out->count = event.end ? 3 : 1;
  for (size_t i = 0; i < out->count; ++i) event.SerializeTo(out->payloads[i]);
  out->event_timestamp = event_timestamp_;
  out->marker = frame == 0;
  return true;
}

}  // namespace parley

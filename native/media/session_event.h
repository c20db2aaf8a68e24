// Events a media session raises during a tick. They are coalesced into one flat array per tick
// for all sessions, so JS reads them with a single crossing.
#pragma once

#include <cstddef>
#include <cstdint>

namespace parley {

enum class SessionEventType : int32_t {
  kFrame = 1,          // value: number of PCM frames written to the session's output this tick
  kSpeechStarted = 2,  // value: ms of the VAD's speech run up to and including this frame
  kSpeechStopped = 3,  //
  kBargeIn = 4,        // value: ms of bot audio played since the last clear
  kDtmf = 5,           // value: digit character; extra: duration in ms
  kMarkReached = 6,    // value: mark id
  kRemoteLatched = 7,  // the source latched (value 0) or moved to another address (value 1)
  kPlayoutIdle = 8,    // the bot's queued audio has all been sent
  kMalformed = 9,      // value: the first packet of its kind that was dropped (RtpStatus); later ones are only counted
  kRefused = 10,       // value: the first datagram refused for this MediaRefusal; later ones are only counted
  kTurn = 11,          // value: turn latency in ms; extra: TurnKind (turn_timer.h)
};

struct SessionEvent {
  int32_t session_id;
  SessionEventType type;
  int32_t value;
  int32_t extra;
};

// Fixed-capacity event buffer owned by the engine; an overflowing tick drops and counts events
// rather than allocating.
class SessionEventSink {
 public:
  static constexpr size_t kCapacity = 16384;

  void Add(int32_t session_id, SessionEventType type, int32_t value = 0, int32_t extra = 0) {
    if (count_ == kCapacity) {
      ++dropped_;
      return;
    }
    events_[count_++] = {session_id, type, value, extra};
  }
  void Reset() { count_ = 0; }
  size_t count() const { return count_; }
  uint64_t dropped() const { return dropped_; }
  const SessionEvent* data() const { return events_; }

 private:
  SessionEvent events_[kCapacity];
  size_t count_ = 0;
  uint64_t dropped_ = 0;
};

}  // namespace parley

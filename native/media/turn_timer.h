// Turn latency, measured in media time on a session's own 20 ms frames (what every voice-AI
// operator asks first: "why is my bot slow?"):
//  - response: the caller's end of speech (the end of the last frame the VAD called speech,
//    without its hangover) to the first frame of the bot's next answer leaving toward the caller;
//  - interruption: the caller's speech onset over the bot's audio to the bot's audio stopping at
//    the network (Parley's barge-in, the bot's own clear, or its answer ending).
// A frame's audio leaves in the tick at its start time, so both are differences of frame times.
// Deterministic; no allocation.
#pragma once

#include <cstdint>

namespace parley {

enum class TurnKind : int32_t { kResponse = 0, kInterruption = 1 };

struct TurnStats {
  uint64_t count = 0;
  int64_t sum_ms = 0;
  int32_t max_ms = 0;
  int32_t last_ms = -1;  // -1: none yet
};

class TurnTimer {
 public:
  explicit TurnTimer(int frame_ms) : frame_us_(int64_t{frame_ms} * 1000) {}

  struct Measured {
    int32_t response_ms = -1;      // -1: none this frame
    int32_t interruption_ms = -1;
  };
  // One frame starting at `frame_us`: the VAD's own decision (`raw_speech`), its decision with
  // hangover before and after this frame, and whether bot audio left in the previous frame and
  // leaves in this one.
  Measured Frame(int64_t frame_us, bool raw_speech, bool was_speaking, bool speaking, bool was_playing, bool playing);

  const TurnStats& responses() const { return responses_; }
  const TurnStats& interruptions() const { return interruptions_; }

 private:
  static int32_t Record(TurnStats& stats, int64_t latency_us);

  int64_t frame_us_;
  int64_t speech_end_us_ = 0;
  bool caller_turn_ = false;       // the caller spoke since the bot last started an answer
  int64_t overlap_onset_us_ = -1;  // the caller started speaking over bot audio (-1: not now)
  TurnStats responses_;
  TurnStats interruptions_;
};

}  // namespace parley

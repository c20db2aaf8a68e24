#include "media/turn_timer.h"

#include <algorithm>
#include <climits>

namespace parley {

int32_t TurnTimer::Record(TurnStats& stats, int64_t latency_us) {
  const auto ms = static_cast<int32_t>(std::clamp<int64_t>(latency_us / 1000, 0, INT32_MAX));
  ++stats.count;
  stats.sum_ms += ms;
  stats.max_ms = std::max(stats.max_ms, ms);
  stats.last_ms = ms;
  return ms;
}

TurnTimer::Measured TurnTimer::Frame(int64_t frame_us, bool raw_speech, bool was_speaking, bool speaking, bool was_playing,
                                     bool playing) {
  Measured measured;
  if (raw_speech) {
    speech_end_us_ = frame_us + frame_us_;
    if (!was_playing) caller_turn_ = true;
  }
  if (speaking && !was_speaking && was_playing) overlap_onset_us_ = frame_us;
  // The caller fell silent while the bot went on (a backchannel, a cough): no interruption.
  if (!speaking && was_speaking && playing) overlap_onset_us_ = -1;
  if (!was_playing && playing) {
    // An answer's first frame leaves now. It answers the caller's turn if the caller spoke since
    // the last answer began (the bot may start before the VAD's hangover has run out).
    if (caller_turn_) measured.response_ms = Record(responses_, frame_us - speech_end_us_);
    caller_turn_ = false;
  }
  if (was_playing && !playing && overlap_onset_us_ >= 0) {
    measured.interruption_ms = Record(interruptions_, frame_us - overlap_onset_us_);
    overlap_onset_us_ = -1;
  }
  return measured;
}

}  // namespace parley

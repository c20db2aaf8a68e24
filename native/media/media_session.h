// One call leg's media, driven by the engine's tick: every 20 ms of media time, from the call's
// set-up on and whatever the network does, it pulls a frame of caller audio from the network
// leg, runs the VAD and the barge-in detector on it, hands it to the bot (through the engine's
// output), and sends the next frame of the bot's queued audio.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "dsp/echo_canceller.h"
#include "dsp/vad.h"
#include "media/barge_in_detector.h"
#include "media/network_leg.h"
#include "media/playout_queue.h"
#include "media/session_event.h"
#include "media/turn_timer.h"

namespace parley {

struct MediaSessionOptions {
  int bot_rate_hz = 16000;
  int frame_ms = 20;
  int playout_max_ms = 120'000;
  int vad_aggressiveness = 2;
  int vad_hangover_ms = 160;
  bool barge_in_enabled = true;
  int barge_in_min_speech_ms = 120;
  bool barge_in_echo_guard = true;
  // Echo cancellation of the bot's audio in the caller's, before VAD, barge-in and the bot
  // (docs/echo-cancellation.md); its rate is the leg's speech rate.
  bool echo_cancellation = false;
  EchoCancellerConfig echo;
};

class MediaSession {
 public:
  // Caller frames produced in one tick are kept until the next; a tick catches up at most this many.
  static constexpr int kMaxFramesPerTick = 8;

  // `phase_us` (0 ≤ phase_us < frame length) places the session's frames `phase_us` after the
  // monotonic clock's frame boundaries: the engine spreads its sessions over the frame this way.
  // std::invalid_argument when echo cancellation is asked for at a speech rate it cannot run at.
  MediaSession(int32_t id, const MediaSessionOptions& options, std::unique_ptr<NetworkLeg> leg, int64_t start_us,
               int64_t phase_us = 0, int phase_slot = 0);

  int phase_slot() const { return phase_slot_; }
  int32_t id() const { return id_; }
  NetworkLeg& leg() { return *leg_; }
  // A re-INVITE changed the codec beyond what the leg can switch in place (RFC 3264 section 8.3.2):
  // `leg` (which has taken the old one's transport) replaces it; speech detection restarts at
  // the new leg's rate. A control call, not on the frame path.
  void ReplaceLeg(std::unique_ptr<NetworkLeg> leg);
  size_t frame_samples() const { return frame_samples_; }

  // Processes every frame due at `now_us` on the session's own 20 ms schedule (so a late timer
  // never changes the media clock). The schedule starts at the first frame boundary (plus the
  // session's phase) at or after `start_us`. Frames beyond kMaxFramesPerTick are skipped and counted.
  void Tick(int64_t now_us, SessionEventSink& events);
  // When the session's next frame falls due (monotonic µs): a tick before it does nothing.
  int64_t next_frame_us() const { return next_frame_us_; }

  // Caller audio produced by the last Tick: caller_frame_count() frames of frame_samples().
  const int16_t* caller_frames() const { return caller_frames_.data(); }
  int caller_frame_count() const { return caller_frame_count_; }

  size_t PushBotAudio(const int16_t* pcm, size_t samples) { return playout_.Push(pcm, samples); }
  bool Mark(uint32_t mark_id) { return playout_.Mark(mark_id); }
  // Drops the queued bot audio; writes the pending marks (now reached) to `reached`
  // (PlayoutQueue::kMaxMarks entries) and returns their count.
  size_t Clear(uint32_t* reached);
  bool SendDtmf(const char* digits, size_t count) { return leg_->SendDtmf(digits, count); }
  size_t queued_bot_samples() const { return playout_.queued_samples(); }

  struct Stats {
    uint64_t frames = 0;
    uint64_t skipped_frames = 0;  // the tick fell more than kMaxFramesPerTick behind
    uint64_t speech_frames = 0;
    uint64_t barge_ins = 0;
    uint64_t echo_frames = 0;  // caller speech the barge-in guard took for the bot's echo
    uint64_t bot_samples_played = 0;
    uint64_t bot_samples_dropped = 0;  // the bot outran playout_max_ms
  };
  Stats stats() const;
  const TurnTimer& turns() const { return turns_; }

 private:
  void AttachSpeechStages();
  void ProcessFrame(int64_t frame_time_us, int16_t* caller_frame, SessionEventSink& events);
  void ReportMarks(const uint32_t* marks, size_t count, SessionEventSink& events);

  int32_t id_;
  int phase_slot_;  // the engine's phase slot this session's frames fall in
  MediaSessionOptions options_;
  std::unique_ptr<NetworkLeg> leg_;
  size_t frame_samples_;
  int64_t frame_us_;
  int64_t next_frame_us_;

  // Built for the leg's speech rate by AttachSpeechStages, again when ReplaceLeg changes it.
  std::optional<Vad> vad_;
  std::optional<BargeInDetector> barge_in_;
  PlayoutQueue playout_;
  TurnTimer turns_;
  bool speaking_ = false;           // the VAD's decision, with hangover
  bool reported_speaking_ = false;  // what speech_started / speech_stopped told the bot
  int speech_run_frames_ = 0;       // frames of the VAD's current speech run
  bool bot_playing_ = false;

  std::vector<int16_t> caller_frames_;
  int caller_frame_count_ = 0;
  std::vector<int16_t> bot_frame_;
  uint32_t reached_marks_[PlayoutQueue::kMaxMarks];
  Stats stats_;
};

}  // namespace parley

#include "media/media_session.h"

#include <cstring>

#include "media/rate_bridge.h"

namespace parley {

MediaSession::MediaSession(int32_t id, const MediaSessionOptions& options, std::unique_ptr<NetworkLeg> leg,
                           int64_t start_us, int64_t phase_us, int phase_slot)
    : id_(id),
      phase_slot_(phase_slot),
      options_(options),
      leg_(std::move(leg)),
      frame_samples_(static_cast<size_t>(options.bot_rate_hz / 1000 * options.frame_ms)),
      frame_us_(static_cast<int64_t>(options.frame_ms) * 1000),
      // Frames fall on the monotonic clock's frame boundaries plus the session's phase, where the
      // engine's timer aims its ticks, not on the moment the call was set up. A schedule offset
      // from the ticks would hold every outbound frame back by the offset, and a tick late by more
      // than 20 ms minus the offset would send two frames at once and none the next tick: up to
      // 20 ms of jitter made here, which a receiver measures against the RTP timestamps (RFC 3550
      // section 6.4.1).
      next_frame_us_((start_us - phase_us + frame_us_ - 1) / frame_us_ * frame_us_ + phase_us),
      playout_(frame_samples_, static_cast<size_t>(options.bot_rate_hz / 1000 * options.playout_max_ms)),
      turns_(options.frame_ms),
      caller_frames_(frame_samples_ * kMaxFramesPerTick),
      bot_frame_(frame_samples_) {
  AttachSpeechStages();
}

// The VAD, barge-in and the echo canceller work on the capture at the leg's speech rate, which a
// codec of another clock changes: on a new leg they start over (the echo path is learnt again).
void MediaSession::AttachSpeechStages() {
  const int rate_hz = leg_->speech_rate_hz();
  vad_.emplace(rate_hz, static_cast<size_t>(rate_hz / 1000 * options_.frame_ms), options_.vad_aggressiveness, options_.vad_hangover_ms);
  barge_in_.emplace(options_.barge_in_min_speech_ms, options_.frame_ms, options_.bot_rate_hz, rate_hz, options_.barge_in_echo_guard);
  if (options_.echo_cancellation) leg_->rates().EnableEchoCancellation(options_.echo);
}

void MediaSession::Tick(int64_t now_us, SessionEventSink& events) {
  caller_frame_count_ = 0;
  while (next_frame_us_ <= now_us) {
    if (caller_frame_count_ == kMaxFramesPerTick) {
      const int64_t behind = (now_us - next_frame_us_) / frame_us_ + 1;
      stats_.skipped_frames += static_cast<uint64_t>(behind);
      next_frame_us_ += behind * frame_us_;
      // The RTP timestamp follows the sampling clock over frames never sent (RFC 3550 section 5.1):
      // a receiver then sees a gap, not a permanent step of lateness.
      leg_->SkipFrames(behind);
      break;
    }
    ProcessFrame(next_frame_us_, caller_frames_.data() + caller_frame_count_ * frame_samples_, events);
    ++caller_frame_count_;
    next_frame_us_ += frame_us_;
  }
  if (caller_frame_count_ > 0) events.Add(id_, SessionEventType::kFrame, caller_frame_count_);
}

void MediaSession::ProcessFrame(int64_t frame_time_us, int16_t* caller_frame, SessionEventSink& events) {
  ++stats_.frames;
  if (!leg_->active() && playout_.empty() && !bot_playing_) {
    // Nothing has arrived yet and nothing is to be sent: the bot still gets its frame of silence
    // (docs/bot-protocol.md promises a continuous 20 ms clock, and DTMF and marks are timed on
    // it), but no detector needs to run on it; the leg's media clock runs on unsent.
    std::memset(caller_frame, 0, frame_samples_ * sizeof(int16_t));
    leg_->SkipFrames(1);
    return;
  }
  const int16_t* speech_frame = leg_->PullCallerFrame(frame_time_us, caller_frame, events, id_);

  const bool speech = vad_->Process(speech_frame, vad_->frame_samples());
  const bool was_speaking = speaking_;
  if (speech) ++stats_.speech_frames;
  speaking_ = speech;
  speech_run_frames_ = speaking_ ? speech_run_frames_ + 1 : 0;
  // Barge-in is decided before this frame's bot audio is sent, so a flush takes effect at once.
  // The detector runs with barge-in off too: it also tells the caller's speech from the bot's echo.
  const EchoCancellerStats* echo_stats = leg_->rates().echo_stats();
  const BargeInDetector::Cancelled cancelled{speech_frame, echo_stats};
  const bool barge_in = barge_in_->Process(leg_->rates().capture_frame(), vad_->last_raw(), vad_->last_snr_db(),
                                           bot_playing_ ? bot_frame_.data() : nullptr, echo_stats != nullptr ? &cancelled : nullptr) &&
                        options_.barge_in_enabled;
  // While the bot's audio can come back as echo, the VAD's onset is the caller's only once the
  // barge-in tests agree (docs/bot-protocol.md); an onset the echo explains is never reported.
  // Out of reach, an onset is reported on a frame the VAD itself calls speech (as it always
  // starts), not on the hangover after the echo's last words.
  const bool onset = barge_in_->echo_in_reach() ? barge_in_->caller_speaking() : vad_->last_raw();
  const bool report = speaking_ && (reported_speaking_ || onset);
  if (report != reported_speaking_) {
    reported_speaking_ = report;
    // A gated onset comes after some of the caller's speech: say how much, so a bot that records
    // the caller keeps that much audio from before the event.
    events.Add(id_, report ? SessionEventType::kSpeechStarted : SessionEventType::kSpeechStopped,
               report ? speech_run_frames_ * options_.frame_ms : 0);
  }
  if (barge_in) {
    ++stats_.barge_ins;
    events.Add(id_, SessionEventType::kBargeIn,
               static_cast<int32_t>(playout_.played_in_run_samples() * 1000 / static_cast<uint64_t>(options_.bot_rate_hz)));
    ReportMarks(reached_marks_, Clear(reached_marks_), events);
  }

  size_t reached = 0;
  const bool was_playing = bot_playing_;
  bot_playing_ = playout_.Pop(bot_frame_.data(), reached_marks_, &reached);
  if (bot_playing_) {
    leg_->PushBotFrame(bot_frame_.data(), !was_playing);
  } else {
    leg_->PushBotFrame(nullptr, false);
    if (was_playing) events.Add(id_, SessionEventType::kPlayoutIdle);
  }
  const TurnTimer::Measured turn = turns_.Frame(frame_time_us, vad_->last_raw(), was_speaking, speaking_, was_playing, bot_playing_);
  if (turn.response_ms >= 0) events.Add(id_, SessionEventType::kTurn, turn.response_ms, static_cast<int32_t>(TurnKind::kResponse));
  if (turn.interruption_ms >= 0) {
    events.Add(id_, SessionEventType::kTurn, turn.interruption_ms, static_cast<int32_t>(TurnKind::kInterruption));
  }
  ReportMarks(reached_marks_, reached, events);
}

void MediaSession::ReplaceLeg(std::unique_ptr<NetworkLeg> leg) {
  leg_ = std::move(leg);
  AttachSpeechStages();
}

size_t MediaSession::Clear(uint32_t* reached) {
  return playout_.Clear(reached);
}

void MediaSession::ReportMarks(const uint32_t* marks, size_t count, SessionEventSink& events) {
  for (size_t i = 0; i < count; ++i) events.Add(id_, SessionEventType::kMarkReached, static_cast<int32_t>(marks[i]));
}

MediaSession::Stats MediaSession::stats() const {
  Stats stats = stats_;
  stats.bot_samples_played = playout_.played_samples();
  stats.bot_samples_dropped = playout_.dropped_samples();
  stats.echo_frames = static_cast<uint64_t>(barge_in_->echo_frames());
  return stats;
}

}  // namespace parley

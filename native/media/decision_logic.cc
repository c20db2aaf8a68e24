#include "media/decision_logic.h"

#include <algorithm>

namespace parley {
namespace {
// No packet for this long in a talkspurt: the sender paused (DTX, end of a prompt), so the output
// turns from concealment to silence and delay control may stretch or skip freely.
constexpr int64_t kSilenceAfterUs = 200'000;
// Above the target by a packet plus this much before dropping: a base transit that wobbles by a
// few ms must not make the buffer drop and stretch in turn. 10 ms against 5 ms on the bench's
// traces: a few ms more mean delay, fewer drops (late loss on the spike traces 1.77/1.47 % against
// 1.97/1.73 %).
constexpr double kDropHysteresisMs = 10.0;
// With time stretching the delay is held in [target, target + band), the band the whole-frame
// buffer keeps too (a packet plus its hysteresis): below, a due packet is expanded, above,
// accelerated, either way toward kStretchAimMs above the target. Every stretch moves the timing
// a little, so it is done only on leaving the band, not to chase the target inside it (against
// 20 ms band and aiming at the target: 16 stretches a minute instead of 8 on the heavy-tail trace).
constexpr double kStretchBandMs = 30.0;
constexpr double kStretchAimMs = 10.0;
// A stretch is offered at least this much room: a pitch period is up to 15 ms, and a stretch
// asked for less than the 2.5 ms shortest lag could never happen (the buffer then sat just below
// its target until it ran dry and inserted whole frames of concealment).
constexpr double kMinStretchMs = 10.0;
// Further below the target than this (the jitter just rose: a loaded sender, a new path), a frame
// of concealment goes in at once, as the whole-frame buffer does: a period per packet would leave
// the next late packets lost (test/integration/media/rtp-g722.test.ts on a loaded machine failed
// 2 runs of 3 at 20 ms, passed 3 of 3 at 10 ms, as with whole frames).
constexpr double kWholeFrameShortfallMs = 10.0;
// Whole packets are dropped only this far above the drop threshold: the backlog after a delay
// spike is drained by accelerating several packets per tick, dropping is the last resort.
constexpr double kStretchDropLeewayMs = 200.0;
}  // namespace

DecisionLogic::DecisionLogic(int clock_rate_hz, int frame_ms, bool time_stretch)
    : clock_rate_hz_(clock_rate_hz), frame_ms_(frame_ms), time_stretch_(time_stretch) {}

Decision DecisionLogic::Decide(const PlayoutState& s) const {
  const bool time_stretch = time_stretch_ && !s.stretch_failing;
  const int64_t until_next = s.has_next ? std::min(s.gap_ts, s.need_ts) : s.need_ts;
  const bool low = s.delay_ms < s.target_ms;
  if (!s.speech) {
    if (s.has_next && s.gap_ts < s.need_ts) {
      // The talkspurt starts within this frame: start it on the frame's first sample, now if that
      // already meets the target, else a frame later (NetEq aligns a talkspurt's start alike).
      if (s.delay_ms - TsToMs(s.gap_ts) < s.target_ms) return {Operation::kStretch, s.need_ts};
      return s.gap_ts > 0 ? Decision{Operation::kSkip, s.gap_ts} : Decision{Operation::kNormal, 0};
    }
    if (s.may_shrink && s.delay_ms >= s.target_ms + frame_ms_ + kDropHysteresisMs) {
      // A pause is where the delay moves for free: skip silence, never past the next packet.
      const int64_t excess = MsToTs(s.delay_ms - s.target_ms);
      const int64_t skip = s.has_next ? std::min(excess, s.gap_ts) : excess;
      if (skip > 0) return {Operation::kSkip, skip};
    }
    return low ? Decision{Operation::kStretch, s.need_ts} : Decision{Operation::kSilence, until_next};
  }
  if (!s.has_next) {
    if (s.since_arrival_us > kSilenceAfterUs) return {Operation::kEndTalkspurt, 0};
    return {low ? Operation::kStretch : Operation::kExpand, s.need_ts};
  }
  if (low) {
    if (time_stretch && s.gap_ts <= 0 && s.delay_ms > s.target_ms - kWholeFrameShortfallMs) {
      return {Operation::kPreemptiveExpand, MsToTs(std::max(kMinStretchMs, s.target_ms + kStretchAimMs - s.delay_ms))};
    }
    return {Operation::kStretch, s.need_ts};
  }
  const double packet_ms = std::max(frame_ms_, TsToMs(s.next_duration_ts));
  const double drop_above_ms = packet_ms + kDropHysteresisMs + (time_stretch ? kStretchDropLeewayMs : 0.0);
  if (s.may_shrink && s.delay_ms >= s.target_ms + drop_above_ms) {
    if (s.gap_ts <= 0) return {Operation::kDrop, 0};
    return {Operation::kSkip, until_next};
  }
  if (s.gap_ts <= 0) {
    if (time_stretch && (s.delay_ms >= s.target_ms + kStretchBandMs || (s.accelerating && s.delay_ms > s.target_ms + kStretchAimMs))) {
      const double excess_ms = s.delay_ms - s.target_ms;
      return {Operation::kAccelerate, MsToTs(std::max(excess_ms - kStretchAimMs, std::min(kMinStretchMs, excess_ms)))};
    }
    return {Operation::kNormal, 0};
  }
  // A gap in the timestamps with no packet missing: a packet shorter than its slot (a truncated
  // payload; concealed like a loss), or longer, the sender paused without a marker (DTX): silence.
  const bool paused = s.next_follows && TsToMs(s.gap_ts) > frame_ms_;
  return {paused ? Operation::kSilence : Operation::kExpand, until_next};
}

}  // namespace parley

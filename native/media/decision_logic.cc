#include "media/decision_logic.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "dsp/time_stretch.h"

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
// buffer keeps too (a packet plus its hysteresis): below, a due packet is expanded toward
// kExpandAimMs above the target, above, accelerated toward kAccelerateAimMs. Every stretch moves
// the timing a little, so it is done only on leaving the band, not to chase the target inside it
// (against 20 ms band and aiming at the target: 16 stretches a minute instead of 8 on the
// heavy-tail trace). The aims, measured on the bench: accelerating only to +10 left the heavy-tail
// trace's mean delay 6 ms above the whole-frame buffer's; expanding only to +5 lost 0.17 % of the
// Asterisk 15 ms jitter trace's packets late against 0.07 %.
constexpr double kStretchBandMs = 30.0;
constexpr double kExpandAimMs = 10.0;
constexpr double kAccelerateAimMs = 5.0;
// After a late packet played whole once its concealment had started (PlayoutState::settling), the
// delay sits up to a packet higher, inside the band: on the heavy-tail trace 20 ms above the
// target for 20 s at a time, the p95 delay 110 ms against the whole-frame buffer's 90. While it is
// more than kQuietSettleAboveMs above the target, a quiet packet (a pause between words) is cut
// toward kQuietAimMs above it: a cut there costs nothing audible. Measured on the bench (heavy
// tail, Asterisk 15 ms, reorder): 18/8 against 15/5 (Asterisk 15 ms lost 7 packets late instead of
// 1-2), 20/10 and 15/10 (higher LSD on the heavy tail or the reorder trace); settling after any
// rise, not only after such a packet, cut the start of talkspurts (LSD 0.02 against 0 on the CN
// trace, p95 delay 81.5 against 70 ms on the 20 ms burst-loss trace).
constexpr double kQuietSettleAboveMs = 18.0;
constexpr double kQuietAimMs = 8.0;
// A drain that begins at least this far above the target is a delay spike's backlog: it cuts
// voiced audio (fast: several pitch periods a packet) while above the band, and inside the band
// only quiet packets (pauses between words, where a cut leaves no trace), however long that takes.
// Each cut of a vowel blurs its spectrum: cutting voiced audio all the way down to the aim scored
// 0.15/0.28 dB LSD on the spike traces against the whole-frame buffer's 0.11/0.23. Voiced cuts
// used to stop this far above the target (history, measured then: 0.11/0.20 dB, p95 delay
// 156/152 ms; 45 ms: 0.12/0.23 dB, 146/142 ms; 60 ms: 0.11/0.21 dB, 158/157 ms); since cuts skip
// onsets and decays and join over the rest of the packet (TimeStretch::Accelerate), a backlog's
// voiced cuts go down to the band's top: p95 125.25/127.75 ms, LSD 0.110/0.185 dB
// (docs/jitter-buffer.md). This threshold now only tells a backlog from a rise inside the band.
constexpr double kBacklogAboveMs = 55.0;
// A delay that crosses the band's edge (drift, a late packet's rise) first waits for a quiet
// packet, cut toward kQuietAimMs as a chance taken (not a drain to go on with); from
// kQuietDrainLeewayMs over the edge on, voiced audio is cut down to the aim. Cutting voiced audio
// at the edge scored 0.01 dB LSD on the +500 ppm trace against the whole-frame buffer's 0, and
// 0.08 against 0.07 on the Asterisk 15 ms jitter trace (now 0 and 0.06, late loss there 0.07 ->
// 0.03 %; mean delay +500 ppm 36.66 -> 38.83 ms against 38.48). A quiet-only drain to the aim
// with no leeway let 500 ppm of drift creep the delay to the band's top; quiet-only down to
// kAccelerateAimMs as a drain lost 0.14 % late on the Asterisk 15 ms trace against 0.07.
constexpr double kQuietDrainLeewayMs = 10.0;
// A stretch is offered at least this much room: a pitch period is up to 15 ms, and a stretch
// asked for less than the 2.5 ms shortest lag could never happen (the buffer then sat just below
// its target until it ran dry and inserted whole frames of concealment).
constexpr double kMinStretchMs = 10.0;
// Further below the target than this (the jitter just rose: a loaded sender, a new path), a
// preemptive expand lengthens audio without a pitch too (by its best lag): leaving it alone left
// the next late packets lost (test/integration/media/rtp-g722.test.ts on a loaded machine failed
// 2 runs of 3 at 20 ms, passed 3 of 3 at 10 ms, with a frame of concealment instead; the bench's
// heavy-tail trace lost 12 packets behind 13 unvoiced packets in a row that could not stretch).
constexpr double kUrgentShortfallMs = 10.0;
// Whole packets are dropped only this far above the drop threshold: the backlog after a delay
// spike is drained by accelerating (at most 4x, fast), dropping is the last resort. At 200 ms a
// 300 ms spike's backlog took 360 ms to drain and the p95 delay was 198 ms against the whole-frame
// buffer's 150; at 60 ms, 140 (and 1.17 % late loss against its 1.77 %). Dropping from the
// threshold on, as the whole-frame buffer does, matches its p95 delay on the spike traces (300 /
// 200 ms: 121 / 130 ms against its 150 / 130, where this leeway gave 153 / 151 before voiced cuts
// went down to the band's top)
// but also its losses: late loss 1.77 / 1.4 % against 1.1 / 0.47, whole-frame changes 52 / 39 a
// minute against 33 / 11 (a dropped packet is the caller's words the bot never hears), clicks
// 12.9 / 5 a minute against 5 / 0. At 70 rather than 60, accelerate takes a little more of the
// backlog than drops do: on the 300 ms spike trace LSD 0.113 -> 0.109 dB (the whole-frame
// buffer's 0.111), late loss 1.1 -> 1.07 %; on the 200 ms one mean delay 100.03 -> 100.72 ms (its
// 120.15), LSD 0.174 -> 0.170; the p95 delays did not move. Lower leeways cut the p95 on the
// 200 ms trace (0: 116.75 ms) at a higher LSD on both (0.137-0.144 dB up to 40).
constexpr double kStretchDropLeewayMs = 70.0;
}  // namespace

DecisionLogic::DecisionLogic(int clock_rate_hz, int frame_ms, bool time_stretch)
    : clock_rate_hz_(clock_rate_hz),
      frame_ms_(frame_ms),
      tick_ms_(frame_ms),
      time_stretch_(time_stretch),
      // The chance at the band's edge (kQuietDrainLeewayMs) is offered a little before it: from where
      // one quiet frame, cut whole but for its cross-fade, lands on kQuietAimMs (27 ms above the
      // target for 20 ms ticks). Offered only from the edge, the +500 ppm trace's first quiet packet
      // came two ticks after the whole-frame buffer's drop (p95 delay 48.72 ms against its 48.71,
      // now 45.54), and its cut left the delay above the aim, trimmed on in a second pause. From
      // 25 ms, it cut into the heavy-tail trace's talk (late loss 0.5 -> 0.57 %).
      quiet_chance_above_ms_(std::min(kStretchBandMs, kQuietAimMs + frame_ms_ - TimeStretch::kMinCrossFadeUs / 1000.0)) {}

double DecisionLogic::TargetMs(const PlayoutState& state) const {
  // A tick takes its whole frame at once: of packets off the tick's grid, the last one it needs
  // starts up to a tick minus the grid they share (their durations' greatest common divisor) into
  // its frame and must be there that much before its own start (10 and 30 ms packets: 10 ms early,
  // 15 ms packets 15), which the target, set from each packet's own lateness, leaves out. A tick
  // minus a packet, as it was, left 30 ms packets none: with talkspurts started at the expand aim
  // (Choose), the 30 ms packet trace's delay fell to 45 ms and a packet there came too late (LSD
  // 0 -> 0.002 dB, the whole-frame buffer's 0.001). The packetization is the longer of the
  // packets either side of playout: a talkspurt's short last frame (Asterisk's) is not 10 ms
  // packets, and lengthening it changed the phrase. On the bench's 10 ms packet trace: late loss
  // 0.07 -> 0 %, LSD 0.02 -> 0 dB, mean delay 39.85 -> 50 ms (the whole-frame buffer, kept as it
  // was for comparison, 49.74).
  if (!time_stretch_ || !state.has_next) return state.target_ms;
  // On a whole-millisecond grid: one packet a sample longer or shorter than its neighbours (a
  // sender's rounding) shares no grid with the tick to the sample, which would raise the target by
  // nearly a tick for it alone.
  const int64_t packet_ms = std::llround(TsToMs(std::max(state.next_duration_ts, state.previous_duration_ts)));
  return state.target_ms + frame_ms_ - static_cast<double>(std::gcd(packet_ms, tick_ms_));
}

Decision DecisionLogic::Decide(const PlayoutState& state) const {
  PlayoutState raised = state;
  raised.target_ms = TargetMs(state);
  Decision decision = Choose(raised);
  decision.target_ms = raised.target_ms;
  return decision;
}

Decision DecisionLogic::QuietCut(const PlayoutState& s, bool trim) const {
  Decision cut{Operation::kAccelerate, MsToTs(s.delay_ms - s.target_ms - kQuietAimMs)};
  cut.quiet_only = true;
  cut.trim = trim;
  return cut;
}

Decision DecisionLogic::Choose(const PlayoutState& s) const {
  const bool time_stretch = time_stretch_ && !s.stretch_failing;
  const int64_t until_next = s.has_next ? std::min(s.gap_ts, s.need_ts) : s.need_ts;
  const bool low = s.delay_ms < s.target_ms;
  if (!s.speech) {
    if (s.has_next && s.gap_ts < s.need_ts) {
      // The talkspurt starts within this frame: on the frame's first sample if that already meets
      // the target (NetEq aligns a talkspurt's start alike). Else the whole-frame buffer starts it
      // a frame later, anywhere up to a frame above the target, and there it stays, inside the
      // band; with time stretching it starts after as much silence as puts it where a preemptive
      // expand aims, kExpandAimMs above the target (10 ms packets: the call started 14.5 ms above
      // its target and held 50 ms; now mean delay 48.28 ms, the whole-frame buffer's 49.74).
      const double start_delay_ms = s.delay_ms - TsToMs(s.gap_ts);
      if (start_delay_ms < s.target_ms) {
        const int64_t wait_ts = time_stretch_ ? MsToTs(s.target_ms + kExpandAimMs - start_delay_ms) : s.need_ts;
        return {Operation::kStretch, std::clamp<int64_t>(wait_ts, 1, std::max<int64_t>(1, s.need_ts))};
      }
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
    // However far below (the jitter just rose: a loaded sender, a new path), the packet is
    // lengthened by whole pitch periods, up to a frame and a half at once (TimeStretch::
    // max_insert), as fast as a frame of concealment would move the delay but without one.
    if (time_stretch && s.gap_ts <= 0) {
      return {Operation::kPreemptiveExpand, MsToTs(std::max(kMinStretchMs, s.target_ms + kExpandAimMs - s.delay_ms)),
              s.delay_ms < s.target_ms - kUrgentShortfallMs};
    }
    return {Operation::kStretch, s.need_ts};
  }
  const double packet_ms = std::max(frame_ms_, TsToMs(s.next_duration_ts));
  // A gap with no packet missing before the next (the sender paused without a marker, or a
  // talkspurt re-anchored after its pause) holds no audio: skipping it loses nothing, so it
  // shrinks at the whole-frame buffer's threshold, as a pause does. Only a packet to drop, or a
  // loss's concealment, waits the leeway for accelerate. Concealing such a gap whole left a
  // talkspurt 20 ms above the whole-frame buffer's for half a second while it waited for a quiet
  // packet (the Asterisk 15 ms jitter trace's p95 delay 75.13 ms against 73, now 73; LSD there
  // 0.06 -> 0.05 dB, and 0.03 -> 0.02 on the Asterisk 3 ms trace).
  // A gap in the timestamps with no packet missing: a packet shorter than its slot (a truncated
  // payload; concealed like a loss), or longer, the sender paused without a marker (DTX): silence.
  const bool paused = s.gap_ts > 0 && s.next_follows && TsToMs(s.gap_ts) > frame_ms_;
  const double drop_above_ms = packet_ms + kDropHysteresisMs + (time_stretch && !paused ? kStretchDropLeewayMs : 0.0);
  if (s.may_shrink && s.delay_ms >= s.target_ms + drop_above_ms) {
    if (s.gap_ts <= 0) return {Operation::kDrop, 0};
    return {Operation::kSkip, until_next};
  }
  if (s.gap_ts <= 0) {
    if (time_stretch && (s.delay_ms >= s.target_ms + quiet_chance_above_ms_ || (s.accelerating && s.delay_ms > s.target_ms + kAccelerateAimMs))) {
      const double excess_ms = s.delay_ms - s.target_ms;
      const bool far = excess_ms >= kBacklogAboveMs;
      const bool backlog = far || (s.accelerating && s.backlog);
      Decision drain{Operation::kAccelerate, MsToTs(std::max(excess_ms - kAccelerateAimMs, std::min(kMinStretchMs, excess_ms)))};
      // A backlog cuts voiced audio down to the band's top (as NetEq accelerates at its high limit,
      // never waiting for pauses), and only pauses below it. Each cut takes the whole lag range
      // (NetEq's fast accelerate, which starts at four times its accelerate limit): whole periods,
      // or a quiet packet, up to 3/4 of a 20 ms packet. Voiced cuts only from kBacklogAboveMs (55 ms)
      // on left the 200 ms spike trace's p95 delay at 148.63 ms against the whole-frame buffer's
      // 130 (now 127.75); down to the band, with TimeStretch's cuts as they were, its quality went
      // (300 ms spike trace LSD 0.109 -> 0.122 dB; now 0.110, with cuts steady in level and joined
      // over the rest of the packet). Without fast cuts between the band and 55 ms: p95 130.13.
      const bool voiced_backlog = backlog && excess_ms >= kStretchBandMs;
      drain.quiet_only = backlog && !voiced_backlog;
      drain.fast = voiced_backlog;
      // Not yet draining and short of the leeway past the band's edge: the chance (from
      // quiet_chance_above_ms_, a little inside the band) of a quiet packet only.
      if (!s.accelerating && !backlog && excess_ms < kStretchBandMs + kQuietDrainLeewayMs) return QuietCut(s, true);
      drain.drain = true;
      drain.backlog = backlog;
      return drain;
    }
    if (time_stretch && s.trimming && s.delay_ms > s.target_ms + kQuietAimMs) return QuietCut(s, true);
    if (time_stretch && s.settling && s.delay_ms > s.target_ms + kQuietSettleAboveMs) return QuietCut(s, false);
    return {Operation::kNormal, 0};
  }
  return {paused ? Operation::kSilence : Operation::kExpand, until_next};
}

}  // namespace parley

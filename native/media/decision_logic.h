// The jitter buffer's decision per piece of output (NetEq's DecisionLogic, reduced): from where
// playout stands against the next packet and the delay target, what to do next. Pure: state in,
// operation out; the JitterBuffer applies it.
//
// Delay control keeps the delay (how far behind the best-case arrival the output plays) in
// [target, target + a packet + hysteresis): below it the buffer stretches (repeats concealment,
// or silence in a pause, without advancing), above it drops a packet (or, in a pause, skips
// silence). That also absorbs sender clock drift, whose effect appears as a slowly moving base
// transit. With time stretching (the default), the delay moves by pitch periods instead, as in
// NetEq: a due packet is decoded and accelerated (a period or a few cut out) when the delay is
// above the target, or preemptively expanded (a period played twice) when below it; whole
// packets are dropped only far above the target (a delay spike's backlog beyond what stretching
// drains), and whole frames are inserted only when nothing is there to stretch. A gap with no
// packet missing (the sender paused) holds no audio and is skipped at the same threshold in
// either mode.
#pragma once

#include <cstdint>

namespace parley {

struct PlayoutState {
  bool speech = false;        // a talkspurt is playing (false: before the first packet, or in a pause)
  double delay_ms = 0;        // of the next sample to play
  double target_ms = 0;
  bool has_next = false;      // a packet is buffered
  int64_t gap_ts = 0;         // the next packet's start minus the playout position (≤ 0: due)
  int64_t next_duration_ts = 0;
  int64_t previous_duration_ts = 0;  // of the packet played last (0: none yet)
  bool next_follows = false;  // no sequence number is missing before the next packet
  int64_t since_arrival_us = 0;
  int64_t need_ts = 0;        // output the current tick still needs (> 0)
  bool may_shrink = true;     // false once this tick already dropped or skipped
  // The last few stretches found nothing to stretch (loud audio with no pitch: music, noise):
  // adapt by whole frames until one succeeds.
  bool stretch_failing = false;
  // The last packet was accelerated to drain a delay above the band: go on until the delay is
  // back at the aim (one accelerate cuts at most half a packet, less than the band).
  bool accelerating = false;
  // That drain began far above the target: a delay spike's backlog.
  bool backlog = false;
  // A packet whose start had already been concealed played whole (it came late, during the
  // concealment), so the delay rose by what was concealed: it settles back in pauses.
  bool settling = false;
  // A quiet cut at the band's edge (Decision::trim) cut less than it asked (a quiet cut keeps a
  // cross-fade: 19 ms of a 20 ms packet go): the next packet, if quiet too, is cut on down to its
  // aim. One cut left the delay 1 ms above where the whole-frame buffer's drop leaves it: on the
  // bench's +500 ppm trace a mean delay of 38.75 ms against 38.44 (now 37.77).
  bool trimming = false;
};

enum class Operation {
  kNormal,        // decode the next packet
  kDrop,          // discard the next packet to shrink the delay
  kSkip,          // advance playout over `amount_ts` of a gap without output
  kStretch,       // output `amount_ts` (concealment in speech, silence in a pause) without advancing
  kExpand,        // conceal `amount_ts` of a gap or a late packet
  kSilence,       // output `amount_ts` of silence: the sender paused
  kEndTalkspurt,  // nothing arrived for long: the talkspurt is over
  kAccelerate,        // decode the next packet and cut up to `amount_ts` out of it
  kPreemptiveExpand,  // decode the next packet and lengthen it by up to `amount_ts`
};

struct Decision {
  Operation operation = Operation::kSilence;
  int64_t amount_ts = 0;
  bool urgent = false;  // kPreemptiveExpand far below the target: lengthen audio without a pitch too
  // kAccelerate: only if the packet is quiet (a pause between words).
  bool quiet_only = false;
  // kAccelerate draining a delay above the band: go on until it is back at the aim.
  bool drain = false;
  bool backlog = false;  // kAccelerate draining a delay spike's backlog (PlayoutState::backlog)
  // kAccelerate of a spike's backlog above the band (NetEq's fast accelerate): whole pitch periods,
  // or quiet audio, up to 3/4 of the packet at once (TimeStretch::Accelerate's `fast`).
  bool fast = false;
  // kAccelerate (quiet only) taking the chance at the band's edge: if it cuts less than asked, the
  // next packet goes on down to the chance's aim (PlayoutState::trimming).
  bool trim = false;
  // The delay this decision plays to: the state's target, raised for packets off the tick's grid.
  double target_ms = 0;
};

class DecisionLogic {
 public:
  // `time_stretch` false: the previous buffer's whole-frame adaptation (kept for the bench).
  DecisionLogic(int clock_rate_hz, int frame_ms, bool time_stretch);
  Decision Decide(const PlayoutState& state) const;

 private:
  // The delay `state` is played to: its target_ms, raised for packets off the tick's grid.
  double TargetMs(const PlayoutState& state) const;
  // Decide's operation for `s`, whose target_ms is already TargetMs's.
  Decision Choose(const PlayoutState& s) const;
  // A cut of a quiet packet (a pause between words) toward kQuietAimMs above the target; `trim`:
  // to go on with in the next packet if it falls short (Decision::trim).
  Decision QuietCut(const PlayoutState& s, bool trim) const;
  double TsToMs(int64_t ts) const { return static_cast<double>(ts) * 1000.0 / clock_rate_hz_; }
  int64_t MsToTs(double ms) const { return static_cast<int64_t>(ms * static_cast<double>(clock_rate_hz_) / 1000.0); }

  int clock_rate_hz_;
  double frame_ms_;
  int64_t tick_ms_;  // frame_ms_, whole: the grid TargetMs puts packets on
  bool time_stretch_;
  // Above the target by this, a quiet packet is cut toward kQuietAimMs even inside the band.
  double quiet_chance_above_ms_;
};

}  // namespace parley

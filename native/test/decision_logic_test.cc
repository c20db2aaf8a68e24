// DecisionLogic's choice of how to drain a delay above its band, as a native program built with
// ASan/UBSan (test/unit/native/decision-logic.test.ts runs it): every check prints one line, "ok"
// or "FAIL", and the exit status is the number of failures.
#include "media/decision_logic.h"
#include "test/check.h"

namespace {

using parley::Decision;
using parley::DecisionLogic;
using parley::Operation;
using parley::PlayoutState;
using parley_test::Check;

// A talkspurt with its next 20 ms packet due, `excess_ms` above a 60 ms target.
PlayoutState Due(double excess_ms, bool accelerating, bool backlog = false) {
  PlayoutState state;
  state.speech = true;
  state.target_ms = 60;
  state.delay_ms = 60 + excess_ms;
  state.has_next = true;
  state.next_duration_ts = 160;
  state.next_follows = true;
  state.need_ts = 160;
  state.accelerating = accelerating;
  state.backlog = backlog;
  return state;
}

bool Cuts(const Decision& decision, bool voiced) {
  return decision.operation == Operation::kAccelerate && decision.drain && decision.quiet_only == !voiced;
}

void BacklogCutsVoicedAudioDownToTheBandsTop() {
  const DecisionLogic logic(8000, 20, true);
  const Decision far = logic.Decide(Due(70, false));
  Check(Cuts(far, true) && far.backlog, "far above the target, a drain cuts voiced audio, as a backlog", 70);
  Check(Cuts(logic.Decide(Due(60, true, true)), true), "a backlog still far above goes on cutting voiced audio", 60);
  // As NetEq, which accelerates at its high limit and never waits for pauses: waiting for them
  // below 55 ms kept the 200 ms spike trace's p95 delay 19 ms above the whole-frame buffer's.
  Check(Cuts(logic.Decide(Due(40, true, true)), true), "a backlog nearer the target still cuts voiced audio", 40);
  Check(Cuts(logic.Decide(Due(30, true, true)), true), "down to the band's top", 30);
  // Inside the band, each pitch-period cut of a vowel would blur it for nothing: pauses only.
  Check(Cuts(logic.Decide(Due(29, true, true)), false), "inside the band, a backlog drains in quiet packets only", 29);
  Check(Cuts(logic.Decide(Due(10, true, true)), false), "down to the aim", 10);
}

void BacklogCutsAboveTheBandAreFast() {
  // NetEq's fast accelerate: a backlog above the band loses several pitch periods per packet (up
  // to 3/4 of it); inside the band it waits for quiet packets, and a drain from the band's edge
  // (no backlog) cuts voiced audio by at most half a packet.
  const DecisionLogic logic(8000, 20, true);
  Check(logic.Decide(Due(55, false)).fast, "55 ms above the target, a cut is fast", 55);
  Check(logic.Decide(Due(60, true, true)).fast, "and stays fast while the backlog is that far above", 60);
  Check(logic.Decide(Due(30, true, true)).fast, "and down to the band's top", 30);
  Check(!logic.Decide(Due(29, true, true)).fast, "inside the band it is not (quiet packets only)", 29);
  Check(!logic.Decide(Due(45, false)).fast, "nor is a drain from the band's edge", 45);
}

void DrainFromTheBandsEdgeWaitsForAPauseFirst() {
  // Drift or a late packet's rise: the delay creeps over the band. Just over it, only a quiet
  // packet is cut (a chance taken, not a drain); 10 ms further, voiced audio is cut down to the aim.
  const DecisionLogic logic(8000, 20, true);
  const Decision entry = logic.Decide(Due(35, false));
  Check(entry.operation == Operation::kAccelerate && entry.quiet_only && !entry.drain, "just over the band, only a quiet packet is cut", 35);
  const Decision further = logic.Decide(Due(45, false));
  Check(Cuts(further, true) && !further.backlog, "10 ms over the band, a drain cuts voiced audio", 45);
  Check(Cuts(logic.Decide(Due(10, true)), true), "and goes on so down to the aim", 10);
  Check(logic.Decide(Due(20, false)).operation == Operation::kNormal, "inside the band, no drain starts", 20);
}

void AGapWithNothingMissingShrinksAsAPauseDoes() {
  // A talkspurt re-anchored after its sender's pause, 61 ms ahead of playout with no sequence
  // number missing, 35 ms above the target: past the whole-frame threshold (a packet plus 10 ms).
  // Skipping the gap loses no audio; concealing it whole kept the delay up until a quiet packet.
  const DecisionLogic logic(8000, 20, true);
  PlayoutState paused = Due(35, false);
  paused.gap_ts = 488;
  const Decision skip = logic.Decide(paused);
  Check(skip.operation == Operation::kSkip && skip.amount_ts == 160, "a gap with nothing missing is skipped, a tick at a time",
        static_cast<double>(skip.amount_ts));
  paused.may_shrink = false;
  Check(logic.Decide(paused).operation == Operation::kSilence, "once a tick: then it plays as the sender's silence", 35);
  PlayoutState lost = Due(35, false);
  lost.gap_ts = 488;
  lost.next_follows = false;
  Check(logic.Decide(lost).operation == Operation::kExpand, "a gap of lost packets is concealed: accelerate drains it later", 35);
  Check(logic.Decide(Due(35, false)).operation != Operation::kDrop, "a due packet is not dropped that near the target", 35);
}

void AQuietCutAtTheBandsEdgeGoesOnInTheNextPacket() {
  // A quiet packet's cut keeps a cross-fade (19 of 20 ms go): one cut leaves the delay above the
  // chance's aim, so the next packet is cut on down to it, lower than a dropped packet leaves it.
  const DecisionLogic logic(8000, 20, true);
  Check(logic.Decide(Due(35, false)).trim, "the chance at the band's edge may go on in the next packet", 35);
  PlayoutState after = Due(11, false);
  after.trimming = true;
  const Decision trim = logic.Decide(after);
  Check(trim.operation == Operation::kAccelerate && trim.quiet_only && trim.trim && !trim.drain, "after it, a quiet packet is cut", 11);
  Check(trim.amount_ts == 24, "down to 8 ms above the target", static_cast<double>(trim.amount_ts));
  after.delay_ms = 60 + 8;
  Check(logic.Decide(after).operation == Operation::kNormal, "and no lower", 8);
  Check(logic.Decide(Due(11, false)).operation == Operation::kNormal, "without such a chance before, inside the band plays as it is", 11);
}

void AQuietFrameIsCutJustBeforeTheBandsEdge() {
  // Drift creeps the delay toward the band's edge, where the whole-frame buffer drops a frame;
  // waiting there for a pause left the delay above it for two ticks. From 27 ms above the target a
  // quiet frame, cut whole but for its 1 ms cross-fade, lands on the quiet aim (8 ms): it is taken.
  const DecisionLogic logic(8000, 20, true);
  const Decision chance = logic.Decide(Due(27, false));
  Check(chance.operation == Operation::kAccelerate && chance.quiet_only && chance.trim && !chance.drain,
        "27 ms above the target, a quiet packet is cut", 27);
  Check(chance.amount_ts == 152, "toward 8 ms above it", static_cast<double>(chance.amount_ts));
  Check(logic.Decide(Due(26.5, false)).operation == Operation::kNormal, "below that, inside the band plays as it is", 26.5);
  Check(DecisionLogic(8000, 20, false).Decide(Due(27, false)).operation == Operation::kNormal,
        "the whole-frame buffer waits for its edge", 27);
}

void PacketsShorterThanATickAimATickMinusAPacketHigher() {
  // 5 ms above a 60 ms target, inside the band: a 20 ms packet plays as it is; a 10 ms packet,
  // which the tick needs 10 ms before its start, is below the target it needs and is lengthened.
  const DecisionLogic logic(8000, 20, true);
  Check(logic.Decide(Due(5, false)).operation == Operation::kNormal, "a 20 ms packet 5 ms above the target plays as it is", 5);
  PlayoutState ten_ms = Due(5, false);
  ten_ms.next_duration_ts = 80;
  const Decision decision = logic.Decide(ten_ms);
  Check(decision.operation == Operation::kPreemptiveExpand, "a 10 ms packet 5 ms above the target is lengthened toward 10 ms more",
        static_cast<double>(decision.amount_ts));
  // A talkspurt's short last frame after 20 ms packets is not 10 ms packetization.
  PlayoutState last_frame = Due(5, false);
  last_frame.next_duration_ts = 12;
  last_frame.previous_duration_ts = 160;
  Check(logic.Decide(last_frame).operation == Operation::kNormal, "a short last frame after 20 ms packets plays as it is", 5);
}

void PacketsOffTheTickGridAimAsFarAheadAsATickReachesIntoThem() {
  // A tick takes its frame at once. 30 ms packets start every other tick 10 ms into the frame
  // (30 mod 20), which the tick needs 10 ms before that start; 15 ms packets, 15 ms into it; 40
  // and 60 ms packets always start on a tick. 5 ms above a 60 ms target, inside the band:
  const DecisionLogic logic(8000, 20, true);
  const auto decide = [&logic](int64_t packet_ts, double excess_ms) {
    PlayoutState state = Due(excess_ms, false);
    state.next_duration_ts = state.previous_duration_ts = packet_ts;
    return logic.Decide(state);
  };
  const Decision thirty = decide(240, 5);
  Check(thirty.operation == Operation::kPreemptiveExpand && thirty.target_ms == 70, "30 ms packets aim 10 ms higher",
        thirty.target_ms);
  const Decision fifteen = decide(120, 12);
  Check(fifteen.operation == Operation::kPreemptiveExpand && fifteen.target_ms == 75,
        "15 ms packets aim 15 ms higher (not a tick minus a packet: 5)", fifteen.target_ms);
  const Decision forty = decide(320, 5);
  Check(forty.operation == Operation::kNormal && forty.target_ms == 60, "40 ms packets play as they are", forty.target_ms);
  Check(decide(480, 5).operation == Operation::kNormal, "so do 60 ms packets", 5);
  // A packet a sample longer than its 20 ms neighbours (a sender's rounding) shares no grid with
  // the tick to the sample; to the millisecond it does, and it raises nothing.
  PlayoutState odd = Due(5, false);
  odd.next_duration_ts = 161;
  odd.previous_duration_ts = 160;
  const Decision one_sample_more = logic.Decide(odd);
  Check(one_sample_more.operation == Operation::kNormal && one_sample_more.target_ms == 60,
        "a 20 ms packet one sample long aims no higher", one_sample_more.target_ms);
}

// Before a talkspurt (a pause, or the call's start): its first packet starts `gap_ms` into the
// frame the tick still needs, which would put it `start_delay_ms` behind, under a 60 ms target.
PlayoutState TalkspurtStart(double start_delay_ms, double gap_ms) {
  PlayoutState state;
  state.target_ms = 60;
  state.delay_ms = start_delay_ms + gap_ms;
  state.has_next = true;
  state.gap_ts = static_cast<int64_t>(gap_ms * 8);
  state.next_duration_ts = 160;
  state.need_ts = 160;
  return state;
}

void ATalkspurtBelowTheTargetStartsWhereAnExpandAims() {
  // 6 ms short of the target: the whole-frame buffer waits a whole frame (14 ms above the target,
  // where it then stays); with time stretching the talkspurt waits 16 ms, 10 ms above it.
  const DecisionLogic stretching(8000, 20, true);
  const Decision wait = stretching.Decide(TalkspurtStart(54, 5));
  Check(wait.operation == Operation::kStretch && wait.amount_ts == 128, "a talkspurt waits until 10 ms above the target",
        static_cast<double>(wait.amount_ts));
  const Decision frame = DecisionLogic(8000, 20, false).Decide(TalkspurtStart(54, 5));
  Check(frame.operation == Operation::kStretch && frame.amount_ts == 160, "the whole-frame buffer waits a frame",
        static_cast<double>(frame.amount_ts));
  const Decision capped = stretching.Decide(TalkspurtStart(30, 5));
  Check(capped.amount_ts == 160, "at most the frame the tick needs", static_cast<double>(capped.amount_ts));
  const Decision due = stretching.Decide(TalkspurtStart(61, 5));
  Check(due.operation == Operation::kSkip && due.amount_ts == 40, "meeting the target, it starts on the frame's first sample",
        static_cast<double>(due.amount_ts));
}

}  // namespace

void BacklogIsDroppedOnlyPastTheStretchLeeway() {
  // With time stretching, a packet is dropped only 70 ms past the whole-frame threshold (a packet
  // plus 10 ms): short of that, accelerate drains the backlog, which the caller hears less.
  const DecisionLogic logic(8000, 20, true);
  Check(logic.Decide(Due(95, true, true)).operation != Operation::kDrop, "95 ms above the target, a backlog is accelerated, not dropped", 95);
  Check(logic.Decide(Due(100, true, true)).operation == Operation::kDrop, "100 ms above it, a packet is dropped", 100);
  const DecisionLogic whole_frames(8000, 20, false);
  Check(whole_frames.Decide(Due(30, false)).operation == Operation::kDrop, "without time stretching, from the threshold on", 30);
}

int main() {
  BacklogCutsVoicedAudioDownToTheBandsTop();
  BacklogCutsAboveTheBandAreFast();
  DrainFromTheBandsEdgeWaitsForAPauseFirst();
  AQuietCutAtTheBandsEdgeGoesOnInTheNextPacket();
  AQuietFrameIsCutJustBeforeTheBandsEdge();
  AGapWithNothingMissingShrinksAsAPauseDoes();
  PacketsShorterThanATickAimATickMinusAPacketHigher();
  PacketsOffTheTickGridAimAsFarAheadAsATickReachesIntoThem();
  ATalkspurtBelowTheTargetStartsWhereAnExpandAims();
  BacklogIsDroppedOnlyPastTheStretchLeeway();
  return parley_test::Finish("decision-logic");
}

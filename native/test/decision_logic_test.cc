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
PlayoutState Due(double excess_ms, bool accelerating) {
  PlayoutState state;
  state.speech = true;
  state.target_ms = 60;
  state.delay_ms = 60 + excess_ms;
  state.has_next = true;
  state.next_duration_ts = 160;
  state.next_follows = true;
  state.need_ts = 160;
  state.accelerating = accelerating;
  return state;
}

bool Cuts(const Decision& decision, bool voiced) {
  return decision.operation == Operation::kAccelerate && decision.drain && decision.quiet_only == !voiced;
}

void DrainCutsVoicedAudioOnlyFarAboveTheTarget() {
  const DecisionLogic logic(8000, 20, true);
  Check(Cuts(logic.Decide(Due(35, false)), true), "entering the band, a drain may cut voiced audio", 35);
  Check(Cuts(logic.Decide(Due(70, true)), true), "far above the target, a drain goes on cutting voiced audio", 70);
  // Below, each pitch-period cut of a vowel would blur its spectrum: the drain waits for pauses.
  Check(Cuts(logic.Decide(Due(40, true)), false), "a drain nearer the target goes on in quiet packets only", 40);
  Check(Cuts(logic.Decide(Due(10, true)), false), "down to the aim", 10);
  Check(logic.Decide(Due(20, false)).operation == Operation::kNormal, "inside the band, no drain starts", 20);
}

}  // namespace

int main() {
  DrainCutsVoicedAudioOnlyFarAboveTheTarget();
  return parley_test::Finish("decision-logic");
}

// Signal tests of G711Plc (G.711 Appendix I concealment), as a native program built with
// ASan/UBSan (test/unit/native/g711-plc.test.ts runs it): every check prints one line, "ok" or
// "FAIL", and the exit status is the number of failures.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "dsp/g711_plc.h"
#include "test/check.h"

namespace {

using parley::G711Plc;
using parley_test::Check;

constexpr int kRateHz = 8000;
constexpr double kPi = 3.14159265358979323846;

// A voiced-speech-like tone from sample `from` on: fundamental `hz` plus two harmonics.
std::vector<int16_t> Tone(double hz, size_t from, size_t samples) {
  std::vector<int16_t> out(samples);
  for (size_t i = 0; i < samples; ++i) {
    const double t = 2 * kPi * hz * static_cast<double>(from + i) / kRateHz;
    out[i] = static_cast<int16_t>(std::lrint(6000 * std::sin(t) + 2500 * std::sin(2 * t + 0.3) + 1200 * std::sin(3 * t + 1.1)));
  }
  return out;
}

int MaxStep(const std::vector<int16_t>& x) {
  int worst = 0;
  for (size_t i = 1; i < x.size(); ++i) worst = std::max(worst, std::abs(x[i] - x[i - 1]));
  return worst;
}

// A tone played, `erased` samples of it lost and concealed, then the tone again from where it
// would be: the output around the join (the concealment's last 5 ms and the good frame).
std::vector<int16_t> ConcealAndReturn(double hz, size_t erased) {
  G711Plc plc;
  constexpr size_t kFrame = 160;
  size_t at = 0;
  for (; at < 4 * kFrame; at += kFrame) {
    std::vector<int16_t> good = Tone(hz, at, kFrame);
    plc.OnGoodFrame(good.data(), kFrame);
  }
  std::vector<int16_t> concealed(erased);
  plc.Conceal(concealed.data(), erased);
  std::vector<int16_t> returned = Tone(hz, at + erased, kFrame);
  plc.OnGoodFrame(returned.data(), kFrame);
  std::vector<int16_t> join(concealed.end() - std::min<size_t>(erased, 40), concealed.end());
  join.insert(join.end(), returned.begin(), returned.end());
  return join;
}

void NoStepWhereTheSignalReturns() {
  // Concealment of any length up to 60 ms ends at the gain its ramp reached; the cross-fade into
  // the returning signal starts there. The tone's own largest step, plus a margin for the
  // cross-fade of two phases of it, bounds every join.
  int worst = 0;
  for (const double hz : {130.0, 170.0, 210.0}) {
    const int own = MaxStep(Tone(hz, 0, 800));
    for (size_t erased = 20; erased <= 470; erased += 15) worst = std::max(worst, MaxStep(ConcealAndReturn(hz, erased)) - own);
  }
  Check(worst <= 150, "no step where the signal returns after concealment of 2.5-59 ms", worst);
}

void RepetitionsOfAGlidingVowelJoinWithoutAStep() {
  // A vowel whose pitch rises by half over 80 ms: the repeated period does not join itself
  // exactly, and the concealment must not step more than the vowel itself does, neither where it
  // starts nor where each repetition runs into the next.
  std::vector<int16_t> vowel(640);
  double phase = 0;
  for (size_t i = 0; i < vowel.size(); ++i) {
    phase += 2 * kPi * 140 * (1 + 0.5 * static_cast<double>(i) / static_cast<double>(vowel.size())) / kRateHz;
    vowel[i] = static_cast<int16_t>(std::lrint(6000 * (std::sin(phase) + 0.4 * std::sin(2 * phase + 0.3) + 0.2 * std::sin(3 * phase + 1.1))));
  }
  G711Plc plc;
  plc.OnGoodFrame(vowel.data(), vowel.size());
  std::vector<int16_t> joined(vowel.end() - 1, vowel.end());
  joined.resize(1 + 240);
  plc.Conceal(joined.data() + 1, 240);
  Check(MaxStep(joined) <= MaxStep(vowel), "repetitions of a gliding vowel join without a step above its own", MaxStep(joined));
}

void ConcealmentFadesToSilence() {
  G711Plc plc;
  std::vector<int16_t> good = Tone(150, 0, 400);
  plc.OnGoodFrame(good.data(), good.size());
  std::vector<int16_t> concealed(560);
  plc.Conceal(concealed.data(), concealed.size());
  int first = 0;
  int last = 0;
  for (size_t i = 0; i < 80; ++i) first = std::max(first, std::abs(concealed[i]));
  for (size_t i = 480; i < 560; ++i) last = std::max(last, std::abs(concealed[i]));
  Check(first > 5000 && last == 0, "concealment repeats the signal, then is silent after 60 ms", first);
}

}  // namespace

int main() {
  NoStepWhereTheSignalReturns();
  RepetitionsOfAGlidingVowelJoinWithoutAStep();
  ConcealmentFadesToSilence();
  return parley_test::Finish("g711-plc");
}

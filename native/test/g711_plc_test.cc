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

// Two tones a non-harmonic interval apart (150 and 237 Hz): no lag repeats the signal, so the
// period one pitch back does not start where the waveform was going.
std::vector<int16_t> Chord(size_t samples) {
  std::vector<int16_t> out(samples);
  for (size_t i = 0; i < samples; ++i) {
    const double t = 2 * kPi * static_cast<double>(i) / kRateHz;
    out[i] = static_cast<int16_t>(std::lrint(6000 * std::sin(150 * t) + 4000 * std::sin(237 * t + 0.7)));
  }
  return out;
}

void ConcealmentStartsWhereTheWaveformWasGoing() {
  // The loss starts at 40 places across the chord's beat. The step from the last good sample to
  // the first concealed one exceeds the chord's own step there by little (the chord's largest
  // step is 1449), and the first 1 ms of the concealment follows the chord as it would have gone
  // on (within a tenth of its amplitude).
  const std::vector<int16_t> chord = Chord(1200);
  int worst_excess = 0;
  int worst_error = 0;
  for (size_t good = 400; good < 800; good += 10) {
    G711Plc plc;
    std::vector<int16_t> history(chord.begin(), chord.begin() + static_cast<std::ptrdiff_t>(good));
    plc.OnGoodFrame(history.data(), history.size());
    std::vector<int16_t> concealed(160);
    plc.Conceal(concealed.data(), concealed.size());
    const int own = std::abs(chord[good] - chord[good - 1]);
    worst_excess = std::max(worst_excess, std::abs(concealed[0] - history.back()) - own);
    for (size_t i = 0; i < 8; ++i) worst_error = std::max(worst_error, std::abs(concealed[i] - chord[good + i]));
  }
  Check(worst_excess <= 300, "the first concealed sample steps no more than the signal itself would there", worst_excess);
  Check(worst_error <= 1000, "the first 1 ms of concealment continues the waveform", worst_error);
}

void TheJoinKeepsTheSignalsEnergy() {
  // On noise the predictor foresees nothing: the concealment's first 10 ms must keep the level of
  // the repeated period (fading it in from the prediction alone dipped it to about 0.6).
  std::vector<int16_t> noise(400);
  uint32_t state = 12345;
  for (int16_t& sample : noise) {
    state = state * 1664525u + 1013904223u;
    sample = static_cast<int16_t>(static_cast<int>(state >> 20) - 2048);
  }
  G711Plc plc;
  plc.OnGoodFrame(noise.data(), noise.size());
  std::vector<int16_t> concealed(80);
  plc.Conceal(concealed.data(), concealed.size());
  double history_energy = 0;
  double concealed_energy = 0;
  for (size_t i = 0; i < 80; ++i) {
    history_energy += static_cast<double>(noise[noise.size() - 80 + i]) * noise[noise.size() - 80 + i];
    concealed_energy += static_cast<double>(concealed[i]) * concealed[i];
  }
  const double ratio = std::sqrt(concealed_energy / history_energy);
  Check(ratio >= 0.8 && ratio <= 1.25, "the first 10 ms of concealment of noise keep its level (RMS ratio)", ratio);
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
  ConcealmentStartsWhereTheWaveformWasGoing();
  TheJoinKeepsTheSignalsEnergy();
  ConcealmentFadesToSilence();
  return parley_test::Finish("g711-plc");
}

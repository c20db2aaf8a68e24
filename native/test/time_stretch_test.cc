// Signal tests of TimeStretch (accelerate, preemptive expand, merge) and ComfortNoise (RFC 3389, and
// from audio), as a native program built with ASan/UBSan (test/unit/native/time-stretch.test.ts
// runs it): every check prints one line, "ok" or "FAIL", and the exit status is the number of
// failures.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "dsp/comfort_noise.h"
#include "dsp/lpc.h"
#include "dsp/time_stretch.h"
#include "test/check.h"

namespace {

using parley::ComfortNoise;
using parley::TimeStretch;

constexpr int kRateHz = 8000;
constexpr double kPi = 3.14159265358979323846;
using parley_test::Check;

// A voiced-speech-like tone: fundamental `hz` plus two harmonics.
std::vector<int16_t> Tone(double hz, size_t samples, double phase = 0) {
  std::vector<int16_t> out(samples);
  for (size_t i = 0; i < samples; ++i) {
    const double t = 2 * kPi * hz * static_cast<double>(i) / kRateHz + phase;
    out[i] = static_cast<int16_t>(std::lrint(6000 * std::sin(t) + 2500 * std::sin(2 * t + 0.3) + 1200 * std::sin(3 * t + 1.1)));
  }
  return out;
}

std::vector<int16_t> Noise(size_t samples, double rms, uint32_t seed) {
  std::vector<int16_t> out(samples);
  for (auto& sample : out) {
    seed = seed * 1103515245u + 12345u;
    sample = static_cast<int16_t>(std::lrint(rms * std::sqrt(3.0) * (static_cast<double>(seed >> 8) / (1u << 24) * 2 - 1)));
  }
  return out;
}

// The period (in samples, 20-160): the shortest lag whose normalised autocorrelation over `x` is
// within 1 % of the best (a multiple of the period correlates as well as the period).
size_t Period(const std::vector<int16_t>& x) {
  std::vector<double> scores(161, -2);
  for (size_t lag = 20; lag <= 160; ++lag) {
    double cross = 0, a = 0, b = 0;
    for (size_t i = lag; i < x.size(); ++i) {
      cross += static_cast<double>(x[i]) * x[i - lag];
      a += static_cast<double>(x[i]) * x[i];
      b += static_cast<double>(x[i - lag]) * x[i - lag];
    }
    scores[lag] = cross / std::sqrt(a * b);
  }
  const double best = *std::max_element(scores.begin(), scores.end());
  size_t lag = 20;
  while (scores[lag] < best - 0.01) ++lag;
  return lag;
}

// The largest sample-to-sample step.
int MaxStep(const std::vector<int16_t>& x, size_t from = 1) {
  int worst = 0;
  for (size_t i = std::max<size_t>(from, 1); i < x.size(); ++i) worst = std::max(worst, std::abs(x[i] - x[i - 1]));
  return worst;
}

std::vector<int16_t> Joined(const std::vector<int16_t>& history, const int16_t* out, size_t samples) {
  std::vector<int16_t> joined(history);
  joined.insert(joined.end(), out, out + samples);
  return joined;
}

void AccelerateKeepsPitchAndJoins() {
  TimeStretch stretch(kRateHz);
  // 200 Hz (period 40 samples): 30 ms played, 20 ms new.
  const std::vector<int16_t> tone = Tone(200, 400);
  const size_t history = stretch.history_needed();
  std::vector<int16_t> out(400);
  const size_t removed = stretch.Accelerate(tone.data() + history, history, 160, 120, out.data());
  Check(removed >= 40 && removed % 40 == 0, "accelerate removes whole periods of a 200 Hz tone", static_cast<double>(removed));
  const std::vector<int16_t> played(tone.begin(), tone.begin() + static_cast<long>(history));
  const std::vector<int16_t> joined = Joined(played, out.data(), 160 - removed);
  Check(Period(joined) == 40, "the accelerated tone keeps its 5 ms period", static_cast<double>(Period(joined)));
  Check(MaxStep(joined) <= MaxStep(tone) + 50, "no step at the accelerate joins above the tone's own", MaxStep(joined));
  // Limited to 30 samples: less than one 2.5-15 ms lag fits the 40-sample period.
  const size_t small = stretch.Accelerate(tone.data() + history, history, 160, 30, out.data());
  Check(small == 0 || small <= 30, "accelerate never removes more than asked", static_cast<double>(small));
}

void AccelerateCutsMultiplePeriodsOnlyUpToHalfThePacket() {
  // 140 Hz (57-sample period) and 200 Hz (40): the 15 ms search finds two or three periods as
  // well as one, and beyond one period at most half of the 20 ms packet may go.
  for (const int frequency_hz : {140, 200}) {
    TimeStretch stretch(kRateHz);
    const size_t history = stretch.history_needed();
    const std::vector<int16_t> tone = Tone(frequency_hz, history + 160);
    std::vector<int16_t> out(160);
    const size_t removed = stretch.Accelerate(tone.data() + history, history, 160, 160, out.data());
    Check(removed > 0 && removed <= 80, "accelerate removes whole periods of a tone, at most half the packet",
          static_cast<double>(removed));
  }
}

void FastAccelerateCutsPeriodsUpToThreeQuartersOfThePacket() {
  // A delay spike's backlog far above the target: a 200 Hz voice (40-sample period) loses three
  // periods of a 20 ms packet at once, where a normal cut stops at half of it (two). The cut grows
  // a period at a time: doubling it (40, 80, 160) stopped at two.
  TimeStretch stretch(kRateHz);
  const size_t history = stretch.history_needed();
  const std::vector<int16_t> tone = Tone(200, history + 160);
  std::vector<int16_t> out(160);
  const size_t removed = stretch.Accelerate(tone.data() + history, history, 160, 160, out.data(), false, true);
  Check(removed == 120, "fast accelerate cuts three 5 ms periods out of a 20 ms packet", static_cast<double>(removed));
  const std::vector<int16_t> played(tone.begin(), tone.begin() + static_cast<long>(history));
  const std::vector<int16_t> joined = Joined(played, out.data(), 160 - removed);
  Check(Period(joined) == 40, "the fast-accelerated tone keeps its 5 ms period", static_cast<double>(Period(joined)));
  Check(MaxStep(joined) <= MaxStep(tone) + 50, "no step at the fast accelerate's join above the tone's own", MaxStep(joined));
  Check(stretch.Accelerate(tone.data() + history, history, 160, 100, out.data(), false, true) == 80,
        "fast accelerate cuts whole periods within the amount asked", 80);
  // Loud noise has no period to cut, fast or not; quiet audio goes by as much as voiced.
  const std::vector<int16_t> noise = Noise(500, 5000, 7);
  Check(stretch.Accelerate(noise.data() + history, history, 160, 160, out.data(), false, true) == 0,
        "fast accelerate leaves loud noise alone", stretch.last_correlation());
  const std::vector<int16_t> hiss = Noise(500, 30, 9);
  Check(stretch.Accelerate(hiss.data() + history, history, 160, 160, out.data(), false, true) == 120,
        "fast accelerate cuts 3/4 of a quiet packet", 120);
}

// A tone whose level changes by `db_per_packet` every 20 ms (160 samples), 0 dB at sample `at`.
std::vector<int16_t> Swelling(double hz, size_t samples, double db_per_packet, size_t at) {
  std::vector<int16_t> out = Tone(hz, samples);
  for (size_t i = 0; i < samples; ++i) {
    const double db = db_per_packet * (static_cast<double>(i) - static_cast<double>(at)) / 160;
    out[i] = static_cast<int16_t>(std::lrint(out[i] * std::pow(10.0, db / 20)));
  }
  return out;
}

void VoicedCutFadesOverTheRestOfThePacket() {
  // Two periods of a voice a lag apart differ a little (here in level: 3 dB a packet): the join
  // fades from one into the other over all that is left of the packet (120 samples after a
  // 40-sample cut), not over one period, so no period of the output jumps to the other's level.
  TimeStretch stretch(kRateHz);
  const size_t history = stretch.history_needed();
  const std::vector<int16_t> tone = Swelling(200, history + 160, 3, history);
  std::vector<int16_t> out(160);
  const int16_t* x = tone.data() + history;
  const size_t removed = stretch.Accelerate(x, history, 160, 40, out.data());
  Check(removed == 40, "a swelling voice loses one 5 ms period", static_cast<double>(removed));
  double worst = 0;
  for (size_t i = 0; i < 120; ++i) {
    const double weight = static_cast<double>(i + 1) / 121;
    worst = std::max(worst, std::fabs(out[i] - (x[i] * (1 - weight) + x[i + 40] * weight)));
  }
  Check(worst <= 1, "the cut's two sides are faded over the rest of the packet", worst);
}

void AnOnsetOrADecayIsNotCut() {
  // A packet 6 dB louder (or quieter) than the audio just played is a syllable's onset (or
  // decay): a period cut there joins segments of another level, so it is left alone, fast or not.
  // 3 dB is still a steady voice (the swelling tone above is cut).
  TimeStretch stretch(kRateHz);
  const size_t history = stretch.history_needed();
  std::vector<int16_t> out(160);
  for (const double db : {6.0, -6.0}) {
    std::vector<int16_t> step = Tone(200, history + 160);
    for (size_t i = history; i < step.size(); ++i) step[i] = static_cast<int16_t>(std::lrint(step[i] * std::pow(10.0, db / 20)));
    Check(stretch.Accelerate(step.data() + history, history, 160, 160, out.data()) == 0, "a step in level is not cut", db);
    Check(stretch.Accelerate(step.data() + history, history, 160, 160, out.data(), false, true) == 0, "nor by a fast cut", db);
  }
}

void QuietCutWithoutPitchNeedsTheWholePacketQuiet() {
  // A pause that ends in a word 4 ms before the packet's end: quiet as far as a fast cut reaches
  // (3/4 of the packet), but the fade would pull the word's start down to the pause's level.
  TimeStretch stretch(kRateHz);
  const size_t history = stretch.history_needed();
  std::vector<int16_t> onset = Noise(history + 160, 30, 9);
  const std::vector<int16_t> word = Noise(32, 5000, 7);
  std::copy(word.begin(), word.end(), onset.begin() + static_cast<long>(history + 128));
  std::vector<int16_t> out(160);
  Check(stretch.Accelerate(onset.data() + history, history, 160, 160, out.data(), false, true) == 0,
        "a quiet packet ending in a loud onset is not cut", stretch.last_correlation());
}

void AccelerateReachesLowVoicesInA20MsPacket() {
  // 80 Hz (period 100 samples, 12.5 ms): longer than half of a 20 ms packet, still one period.
  TimeStretch stretch(kRateHz);
  const size_t history = stretch.history_needed();
  const std::vector<int16_t> tone = Tone(80, history + 160);
  std::vector<int16_t> out(160);
  const size_t removed = stretch.Accelerate(tone.data() + history, history, 160, 120, out.data());
  Check(removed == 100, "accelerate cuts a 12.5 ms period out of a 20 ms packet of an 80 Hz voice", static_cast<double>(removed));
  const std::vector<int16_t> played(tone.begin(), tone.begin() + static_cast<long>(history));
  const std::vector<int16_t> joined = Joined(played, out.data(), 160 - removed);
  Check(std::abs(static_cast<int>(Period(joined)) - 100) <= 1, "the accelerated voice keeps its period", static_cast<double>(Period(joined)));
  Check(MaxStep(joined) <= MaxStep(tone) + 50, "no step at the join above the voice's own", MaxStep(joined));
}

void PreemptiveExpandKeepsPitchAndJoins() {
  TimeStretch stretch(kRateHz);
  // 130 Hz (period 61.5 samples: not a whole number, the cross-fade absorbs the fraction).
  const std::vector<int16_t> tone = Tone(130, 600);
  const size_t history = stretch.history_needed();
  std::vector<int16_t> out(160 + stretch.max_lag());
  const size_t inserted = stretch.PreemptiveExpand(tone.data() + history, history, 160, 120, out.data());
  Check(inserted >= 61 && inserted <= 124, "preemptive expand inserts one or two periods of a 130 Hz tone", static_cast<double>(inserted));
  const std::vector<int16_t> played(tone.begin(), tone.begin() + static_cast<long>(history));
  const std::vector<int16_t> joined = Joined(played, out.data(), 160 + inserted);
  Check(std::abs(static_cast<int>(Period(joined)) - 62) <= 1, "the expanded tone keeps its period", static_cast<double>(Period(joined)));
  Check(MaxStep(joined) <= MaxStep(tone) + 100, "no step at the expand joins above the tone's own", MaxStep(joined));
  // The new samples follow the inserted period unchanged.
  bool intact = true;
  for (size_t i = 0; i < 160; ++i) intact = intact && out[inserted + i] == tone[history + i];
  Check(intact, "the packet's own samples follow the inserted period unchanged", 0);
}

// Far below its target (urgent), the buffer asks for up to max_insert(): a voiced period is played
// as many whole times as fit, and loud noise is lengthened too (by one lag).
void UrgentExpandRepeatsPeriodsAndTakesNoise() {
  TimeStretch stretch(kRateHz);
  const std::vector<int16_t> tone = Tone(130, 600);
  const size_t history = stretch.history_needed();
  std::vector<int16_t> out(160 + stretch.max_insert());
  const size_t inserted = stretch.PreemptiveExpand(tone.data() + history, history, 160, stretch.max_insert(), out.data(), true);
  Check(inserted >= 3 * 61 && inserted <= stretch.max_insert(), "an urgent expand repeats a 130 Hz period three times", static_cast<double>(inserted));
  const std::vector<int16_t> played(tone.begin(), tone.begin() + static_cast<long>(history));
  const std::vector<int16_t> joined = Joined(played, out.data(), 160 + inserted);
  Check(std::abs(static_cast<int>(Period(joined)) - 62) <= 1, "the repeated periods keep the tone's period", static_cast<double>(Period(joined)));
  Check(MaxStep(joined) <= MaxStep(tone) + 100, "no step at any of the joins above the tone's own", MaxStep(joined));
  Check(stretch.PreemptiveExpand(tone.data() + history, history, 160, stretch.max_insert(), out.data()) <= stretch.max_lag(),
        "without urgency one period at most", 0);
  const std::vector<int16_t> noise = Noise(500, 5000, 7);
  const size_t lag = stretch.PreemptiveExpand(noise.data() + history, history, 160, stretch.max_insert(), out.data(), true);
  Check(lag >= stretch.min_lag() && lag <= stretch.max_lag(), "urgent: loud noise is lengthened by one lag", static_cast<double>(lag));
}

void LoudNoiseIsLeftAlone() {
  TimeStretch stretch(kRateHz);
  const std::vector<int16_t> noise = Noise(500, 5000, 7);
  const size_t history = stretch.history_needed();
  std::vector<int16_t> out(160 + stretch.max_lag());
  const size_t removed = stretch.Accelerate(noise.data() + history, history, 160, 120, out.data());
  Check(removed == 0, "loud noise is not accelerated (no period to cut)", stretch.last_correlation());
  bool copy = true;
  for (size_t i = 0; i < 160; ++i) copy = copy && out[i] == noise[history + i];
  Check(copy, "and comes out unchanged", 0);
  const size_t inserted = stretch.PreemptiveExpand(noise.data() + history, history, 160, 120, out.data());
  Check(inserted == 0, "loud noise is not expanded", stretch.last_correlation());
}

void QuietAudioStretchesByTheMost() {
  TimeStretch stretch(kRateHz);
  const std::vector<int16_t> hiss = Noise(500, 30, 9);
  const size_t history = stretch.history_needed();
  std::vector<int16_t> out(160 + stretch.max_lag());
  Check(stretch.Accelerate(hiss.data() + history, history, 160, 70, out.data()) == 70, "quiet audio is accelerated by the full amount asked", 70);
  Check(stretch.Accelerate(hiss.data() + history, history, 160, 120, out.data()) == 80, "but never by more than half the packet", 80);
  Check(stretch.PreemptiveExpand(hiss.data() + history, history, 160, 90, out.data()) == 90, "quiet audio is expanded by the full amount asked", 90);
}

// Inside its band the buffer cuts only pauses (quiet_only): a pause between words nearly whole,
// voiced audio not at all, and a quiet packet that ends in a word's onset not either.
void QuietOnlyAccelerateCutsPausesOnly() {
  TimeStretch stretch(kRateHz);
  const size_t history = stretch.history_needed();
  std::vector<int16_t> out(160 + stretch.max_lag());
  const std::vector<int16_t> hiss = Noise(500, 30, 9);
  Check(stretch.Accelerate(hiss.data() + history, history, 160, 152, out.data(), true) == 152,
        "a quiet packet is cut by all but its 1 ms cross-fade", 152);
  const std::vector<int16_t> tone = Tone(200, 400);
  Check(stretch.Accelerate(tone.data() + history, history, 160, 120, out.data(), true) == 0, "voiced audio is left alone", 0);
  std::vector<int16_t> onset = Noise(500, 30, 9);
  const std::vector<int16_t> word = Tone(200, 60);
  std::copy(word.begin(), word.end(), onset.begin() + static_cast<long>(history + 100));
  Check(stretch.Accelerate(onset.data() + history, history, 160, 120, out.data(), true) == 0,
        "a quiet start before a word's onset is left alone", 0);
}

void StretchAtOpusRates() {
  for (int rate : {16000, 48000}) {
    TimeStretch stretch(rate);
    std::vector<int16_t> tone(stretch.history_needed() + static_cast<size_t>(rate / 50));
    for (size_t i = 0; i < tone.size(); ++i) tone[i] = static_cast<int16_t>(std::lrint(8000 * std::sin(2 * kPi * 160 * static_cast<double>(i) / rate)));
    std::vector<int16_t> out(tone.size() + stretch.max_lag());
    const size_t period = static_cast<size_t>(rate / 160);
    const size_t removed = stretch.Accelerate(tone.data() + stretch.history_needed(), stretch.history_needed(), static_cast<size_t>(rate / 50),
                                              stretch.max_lag(), out.data());
    Check(removed > 0 && (removed % period <= 1 || period - removed % period <= 1), "accelerate cuts whole periods at 16 and 48 kHz", static_cast<double>(removed));
  }
}

void MergeSmoothsTheJoinAfterConcealment() {
  TimeStretch stretch(kRateHz);
  const size_t history = stretch.history_needed();
  // Concealment played a 200 Hz tone; the packet that returns has it a quarter period out of phase.
  std::vector<int16_t> stream = Tone(200, history);
  const std::vector<int16_t> returned = Tone(200, 160, kPi / 2 + 2 * kPi * 200 * static_cast<double>(history) / kRateHz);
  stream.insert(stream.end(), returned.begin(), returned.end());
  const int raw_step = std::abs(stream[history] - stream[history - 1]);
  stretch.Merge(stream.data() + history, history, 160);
  const int merged_step = MaxStep(stream, history - 2);
  Check(raw_step > 3 * merged_step / 2 && merged_step <= MaxStep(Tone(200, 400)) + 50, "merge removes the step where a packet returns", raw_step);
  bool tail_intact = true;
  for (size_t i = 40; i < 160; ++i) tail_intact = tail_intact && stream[history + i] == returned[i];
  Check(tail_intact, "after one period the returned packet plays unchanged", 0);
}

double Rms(const std::vector<int16_t>& x) {
  double energy = 0;
  for (int16_t s : x) energy += static_cast<double>(s) * s;
  return std::sqrt(energy / static_cast<double>(x.size()));
}

double LagOneCorrelation(const std::vector<int16_t>& x) {
  double cross = 0, energy = 0;
  for (size_t i = 1; i < x.size(); ++i) {
    cross += static_cast<double>(x[i]) * x[i - 1];
    energy += static_cast<double>(x[i]) * x[i];
  }
  return cross / energy;
}

void ComfortNoiseFollowsRfc3389() {
  ComfortNoise noise;
  const uint8_t flat[] = {40};  // -40 dBov: RMS 327.67
  Check(noise.SetFromPayload(flat, sizeof(flat)), "a level-only CN payload is taken", 0);
  std::vector<int16_t> out(8000, 0);
  noise.Add(out.data(), out.size(), 1.0f);
  Check(std::fabs(Rms(out) / 327.67 - 1) < 0.1, "CN at -40 dBov has the RMS the level says", Rms(out));
  Check(std::fabs(LagOneCorrelation(out)) < 0.1, "with no coefficients the noise is white", LagOneCorrelation(out));
  // k1 = (0 - 127) / 128 ~ -0.99 makes a strong low-pass; the level holds whatever the shape.
  const uint8_t shaped[] = {40, 0};
  Check(noise.SetFromPayload(shaped, sizeof(shaped)), "a CN payload with a reflection coefficient is taken", 0);
  std::fill(out.begin(), out.end(), 0);
  noise.Add(out.data(), out.size(), 1.0f);
  Check(LagOneCorrelation(out) > 0.8, "the coefficient shapes the spectrum (low-pass)", LagOneCorrelation(out));
  Check(std::fabs(Rms(out) / 327.67 - 1) < 0.25, "and the level stays the payload's", Rms(out));
  // The level byte Parley sends (LevelFromRms) reads back as the same level.
  for (int level : {0, 40, 70, 127}) {
    const float rms = 32767.0f * std::pow(10.0f, -static_cast<float>(level) / 20.0f);
    Check(ComfortNoise::LevelFromRms(rms) == level, "a level's RMS gives the level byte back", level);
  }
  Check(ComfortNoise::LevelFromRms(0) == 127 && ComfortNoise::LevelFromRms(40000) == 0, "digital silence is -127 dBov, overload 0", 0);
  const uint8_t malformed[] = {0x80 | 40};
  Check(!noise.SetFromPayload(malformed, sizeof(malformed)) && !noise.SetFromPayload(malformed, 0), "a payload with the reserved bit set, or empty, is refused", 0);
}

// What concealment fades into on a long loss: noise shaped like the speech before it, as loud.
void ComfortNoiseTakesTheAudiosEnvelope() {
  ComfortNoise noise;
  const std::vector<int16_t> vowel = Tone(150, parley::Lpc::kWindowSamples);
  noise.SetFromAudio(vowel.data());
  std::vector<int16_t> out(8000, 0);
  noise.Add(out.data(), out.size(), 1.0f);
  Check(std::fabs(Rms(out) / Rms(vowel) - 1) < 0.25, "noise from audio has the audio's RMS", Rms(out) / Rms(vowel));
  // The vowel's energy is below 500 Hz: so is the noise's (white noise: 0).
  Check(LagOneCorrelation(out) > 0.8, "and its spectral envelope (low-pass)", LagOneCorrelation(out));
  const std::vector<int16_t> silence(parley::Lpc::kWindowSamples, 0);
  noise.SetFromAudio(silence.data());
  std::fill(out.begin(), out.end(), 0);
  noise.Add(out.data(), out.size(), 1.0f);
  Check(Rms(out) == 0, "silence gives silence", Rms(out));
}

}  // namespace

int main() {
  AccelerateKeepsPitchAndJoins();
  AccelerateCutsMultiplePeriodsOnlyUpToHalfThePacket();
  FastAccelerateCutsPeriodsUpToThreeQuartersOfThePacket();
  AccelerateReachesLowVoicesInA20MsPacket();
  VoicedCutFadesOverTheRestOfThePacket();
  AnOnsetOrADecayIsNotCut();
  QuietCutWithoutPitchNeedsTheWholePacketQuiet();
  PreemptiveExpandKeepsPitchAndJoins();
  UrgentExpandRepeatsPeriodsAndTakesNoise();
  LoudNoiseIsLeftAlone();
  QuietAudioStretchesByTheMost();
  QuietOnlyAccelerateCutsPausesOnly();
  StretchAtOpusRates();
  MergeSmoothsTheJoinAfterConcealment();
  ComfortNoiseFollowsRfc3389();
  ComfortNoiseTakesTheAudiosEnvelope();
  return parley_test::Finish("time-stretch");
}

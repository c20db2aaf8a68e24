// EchoMatcher on synthetic speech-like audio (integer arithmetic only, so every machine feeds it
// the same samples): an attenuated, delayed copy of what was sent is matched at its delay, over
// the whole reach and at every leg rate; a caller saying something else is not; and the scores
// of a long run are the same to the bit as those of the one-lag-at-a-time search the blocked one
// replaced (their hash was recorded from it: its sums, in the same order, are bit-exact); and
// Matches() decides as the full search at the threshold does, frame by frame, on the bench's echo
// paths, an echo whose delay steps, and a caller's own speech.
// Prints one line per check; the exit status is the number of failures.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "media/barge_in_detector.h"
#include "media/echo_matcher.h"
#include "test/check.h"

namespace {

constexpr int kFrameMs = 20;
constexpr int32_t kEchoGainQ10 = 307;  // -10.5 dB
// Recorded from the one-lag-at-a-time search (before the blocks, commit 9d93535) on the run below.
constexpr uint64_t kReferenceHash = 0xf874d3df5f997d5cull;
using parley_test::Check;

// Voiced-speech-like: a pulse train (pitch period `period` samples) through two integer
// resonators, under a syllable-rate envelope, plus a little noise; `seed` picks the noise.
std::vector<int16_t> Speech(size_t samples, int rate_hz, int period_at_8k, uint32_t seed) {
  std::vector<int16_t> out(samples);
  const int period = period_at_8k * rate_hz / 8000;
  int32_t y1 = 0;
  int32_t y2 = 0;
  uint32_t state = seed;
  for (size_t i = 0; i < samples; ++i) {
    state = state * 1664525u + 1013904223u;
    const int32_t noise = static_cast<int32_t>(state >> 22) - 512;
    const int32_t pulse = static_cast<int>(i % static_cast<size_t>(period)) == 0 ? 12000 : 0;
    // y = x + 1.6 y1 - 0.8 y2 in Q10: a resonance near 0.1 × the rate, slightly damped.
    const int32_t y = pulse + noise + (1638 * y1 - 819 * y2) / 1024;
    y2 = y1;
    y1 = y;
    // Syllables of 250 ms with 50 ms gaps.
    const size_t syllable = i % (static_cast<size_t>(rate_hz) * 3 / 10);
    const int32_t gated = syllable < static_cast<size_t>(rate_hz) / 4 ? y : noise / 8;
    out[i] = static_cast<int16_t>(gated > 32767 ? 32767 : gated < -32768 ? -32768 : gated);
  }
  return out;
}

struct Run {
  double min_score = 1;  // over the frames after the echo could be matched
  double max_score = 0;
  size_t frames_at_lag = 0;
  size_t frames = 0;
  uint64_t hash = 1469598103934665603ull;  // FNV-1a over every score's bits
};

// The bot sends `sent` at `sent_rate_hz`; the caller's leg (at `caller_rate_hz`) carries the
// echo (`echo_delay_ms` late, gain `echo_gain_q10` / 1024) plus `caller` (at the leg's rate) if given.
Run Drive(int sent_rate_hz, int caller_rate_hz, int echo_delay_ms, int32_t echo_gain_q10, const std::vector<int16_t>& sent,
          const std::vector<int16_t>* caller, size_t frames) {
  parley::EchoMatcher matcher(kFrameMs, sent_rate_hz, caller_rate_hz);
  const size_t sent_samples = static_cast<size_t>(sent_rate_hz / 1000 * kFrameMs);
  const size_t caller_samples = static_cast<size_t>(caller_rate_hz / 1000 * kFrameMs);
  const size_t expected_lag = static_cast<size_t>(parley::EchoMatcher::kAnalysisRateHz / 1000 * echo_delay_ms);
  std::vector<int16_t> leg(caller_samples);
  Run run;
  for (size_t frame = 0; frame < frames; ++frame) {
    for (size_t i = 0; i < caller_samples; ++i) {
      // The sent sample heard at this instant, by nearest neighbour across the two rates.
      const int64_t at = static_cast<int64_t>(frame * caller_samples + i) * sent_rate_hz / caller_rate_hz -
                         static_cast<int64_t>(echo_delay_ms) * sent_rate_hz / 1000;
      int32_t x = at >= 0 ? echo_gain_q10 * sent[static_cast<size_t>(at)] / 1024 : 0;
      if (caller != nullptr) x += (*caller)[frame * caller_samples + i];
      leg[i] = static_cast<int16_t>(x > 32767 ? 32767 : x < -32768 ? -32768 : x);
    }
    matcher.PushSent(sent.data() + frame * sent_samples, sent_samples);
    matcher.PushCaller(leg.data(), caller_samples);
    const float score = matcher.Correlation();
    uint32_t bits;
    std::memcpy(&bits, &score, sizeof bits);
    run.hash = (run.hash ^ bits) * 1099511628211ull;
    // From the time the window holds echo of a sent syllable.
    if (static_cast<int>(frame) * kFrameMs < echo_delay_ms + parley::EchoMatcher::kWindowMs + 300) continue;
    // Frames whose window sits in a syllable gap of the echo carry only noise: not scored.
    const size_t window_end_ms = (frame + 1) * kFrameMs - static_cast<size_t>(echo_delay_ms);
    if (window_end_ms % 300 > 250 || window_end_ms % 300 < static_cast<size_t>(parley::EchoMatcher::kWindowMs)) continue;
    ++run.frames;
    if (score < run.min_score) run.min_score = score;
    if (score > run.max_score) run.max_score = score;
    const size_t lag = matcher.lag_samples();
    if (lag + 1 >= expected_lag && lag <= expected_lag + 1) ++run.frames_at_lag;
  }
  return run;
}

// The barge-in guard's decision both ways on one leg, frame by frame: Correlation() at the
// threshold (the full search every frame, as the guard ran before) and Matches() (the tracked
// lag's range first), each on its own matcher fed the same audio.
struct Decisions {
  size_t frames = 0;
  size_t differences = 0;
  size_t matched = 0;       // by Matches()
  size_t late_speech = 0;   // speech windows of the echo from `late_frame` on
  size_t late_matched = 0;  // of those, matched by Matches() at the echo's delay then (±1 sample at 4 kHz)
};

// The bot sends `sent` (16 kHz); an 8 kHz leg carries its echo `delay_ms` late (`stepped_ms` from
// frame `step_frame` on) at `gain_q10` / 1024, through a room's 4 paths (0, 3, 8, 15 ms, as the
// bench's) when `room`, plus `caller` if given, plus hiss of amplitude `hiss`.
struct Leg {
  int delay_ms;
  size_t step_frame;
  int stepped_ms;
  int32_t gain_q10;
  bool room;
  int32_t hiss;
  const std::vector<int16_t>* caller;
};

Decisions Compare(const std::vector<int16_t>& sent, const Leg& leg, size_t frames, size_t late_frame) {
  constexpr int kSentRate = 16000;
  constexpr int kLegRate = 8000;
  parley::EchoMatcher full(kFrameMs, kSentRate, kLegRate);
  parley::EchoMatcher tracked(kFrameMs, kSentRate, kLegRate);
  const size_t sent_samples = kSentRate / 1000 * kFrameMs;
  const size_t leg_samples = kLegRate / 1000 * kFrameMs;
  const int paths_ms[] = {0, 3, 8, 15};
  const int32_t paths_q10[] = {1024, 512, 256, 128};
  std::vector<int16_t> audio(leg_samples);
  uint32_t state = 12345;
  Decisions decisions;
  for (size_t frame = 0; frame < frames; ++frame) {
    const int delay_ms = frame < leg.step_frame ? leg.delay_ms : leg.stepped_ms;
    for (size_t i = 0; i < leg_samples; ++i) {
      int64_t x = 0;
      for (size_t path = 0; path < (leg.room ? 4u : 1u); ++path) {
        const int64_t at = static_cast<int64_t>(frame * leg_samples + i) * 2 - static_cast<int64_t>(delay_ms + paths_ms[path]) * 16;
        if (at >= 0) x += static_cast<int64_t>(leg.gain_q10) * paths_q10[path] / 1024 * sent[static_cast<size_t>(at)] / 1024;
      }
      if (leg.caller != nullptr) x += (*leg.caller)[frame * leg_samples + i];
      state = state * 1664525u + 1013904223u;
      x += leg.hiss * (static_cast<int32_t>(state >> 22) - 512) / 512;
      audio[i] = static_cast<int16_t>(x > 32767 ? 32767 : x < -32768 ? -32768 : x);
    }
    for (parley::EchoMatcher* matcher : {&full, &tracked}) {
      matcher->PushSent(sent.data() + frame * sent_samples, sent_samples);
      matcher->PushCaller(audio.data(), leg_samples);
    }
    const bool before = full.Correlation() >= parley::BargeInDetector::kEchoCorrelation;
    const bool now = tracked.Matches(parley::BargeInDetector::kEchoCorrelation);
    ++decisions.frames;
    decisions.differences += before != now ? 1 : 0;
    decisions.matched += now ? 1 : 0;
    // Speech windows of the echo (as in Drive), at its delay from late_frame on.
    const size_t window_end_ms = (frame + 1) * kFrameMs - static_cast<size_t>(delay_ms);
    if (frame < late_frame || window_end_ms % 300 > 250 || window_end_ms % 300 < static_cast<size_t>(parley::EchoMatcher::kWindowMs)) continue;
    ++decisions.late_speech;
    const size_t expected_lag = static_cast<size_t>(parley::EchoMatcher::kAnalysisRateHz / 1000 * delay_ms);
    const size_t lag = tracked.lag_samples();
    decisions.late_matched += now && lag + 1 >= expected_lag && lag <= expected_lag + 1 ? 1 : 0;
  }
  return decisions;
}

}  // namespace

int main() {
  constexpr size_t kFrames = 250;  // 5 s
  char what[160];
  // Echo over the guard's whole reach, at the rates a session pairs: the bot's 16 kHz with a
  // G.711 leg, a wideband leg, Opus's 48 kHz; and an 8 kHz bot.
  const int rates[][2] = {{16000, 8000}, {16000, 16000}, {16000, 48000}, {8000, 8000}};
  for (const auto& rate : rates) {
    const std::vector<int16_t> sent = Speech(static_cast<size_t>(rate[0]) * 6, rate[0], 64, 7);
    for (int delay_ms : {0, 40, 237, 480}) {
      const Run run = Drive(rate[0], rate[1], delay_ms, kEchoGainQ10, sent, nullptr, kFrames);
      std::snprintf(what, sizeof what, "echo %d ms late, bot %d Hz, leg %d Hz: every speech window matched above the threshold", delay_ms,
                    rate[0], rate[1]);
      Check(run.frames > 50 && run.min_score >= parley::BargeInDetector::kEchoCorrelation, what, run.min_score);
      std::snprintf(what, sizeof what, "echo %d ms late, bot %d Hz, leg %d Hz: matched at its delay (±1 sample at 4 kHz)", delay_ms, rate[0],
                    rate[1]);
      Check(run.frames_at_lag == run.frames, what, static_cast<double>(run.frames_at_lag) / static_cast<double>(run.frames));
    }
  }
  // The caller saying something else (another pitch, other noise), with no echo: no window may
  // pass for echo.
  {
    const std::vector<int16_t> sent = Speech(16000 * 6, 16000, 64, 7);
    const std::vector<int16_t> caller = Speech(8000 * 6, 8000, 47, 99);
    const Run run = Drive(16000, 8000, 237, 0, sent, &caller, kFrames);
    Check(run.frames > 50 && run.max_score < parley::BargeInDetector::kEchoCorrelation, "other speech, no echo: never matched as echo",
          run.max_score);
  }
  // Bit-exactness against the one-lag-at-a-time search: a caller talking over a 0.3 echo, 5 s.
  {
    const std::vector<int16_t> sent = Speech(16000 * 6, 16000, 64, 7);
    const std::vector<int16_t> caller = Speech(48000 * 6, 48000, 47, 99);
    const Run run = Drive(16000, 48000, 310, kEchoGainQ10, sent, &caller, kFrames);
    std::snprintf(what, sizeof what, "caller over an echo, 48 kHz leg: every score the same to the bit as the search's before blocks (hash %016llx)",
                  static_cast<unsigned long long>(run.hash));
    Check(run.hash == kReferenceHash, what, 0);
  }
  // Matches() against the full search's decision frame by frame, on the bench's echo paths
  // (bench/vad/echo-guard.bench.ts: 4 paths, -10 and -20 dB, 40-200 ms, over hiss at two levels).
  {
    const std::vector<int16_t> sent = Speech(16000 * 6, 16000, 64, 7);
    size_t frames = 0;
    size_t differences = 0;
    size_t matched = 0;
    for (int32_t hiss : {40, 400}) {
      for (int32_t gain_q10 : {324, 102}) {
        for (int delay_ms : {40, 100, 200}) {
          const Decisions d = Compare(sent, {delay_ms, kFrames, delay_ms, gain_q10, true, hiss, nullptr}, kFrames, kFrames);
          frames += d.frames;
          differences += d.differences;
          matched += d.matched;
        }
      }
    }
    std::snprintf(what, sizeof what, "bench's echo paths, %zu frames (%zu matched): the same decisions as the full search's", frames, matched);
    Check(differences == 0 && matched > frames / 2, what, static_cast<double>(differences));
  }
  // An echo whose delay steps from 100 to 300 ms half way: the tracked range goes below the
  // threshold, the full search runs and finds the new delay, as the full search alone did.
  {
    const std::vector<int16_t> sent = Speech(16000 * 6, 16000, 64, 7);
    const size_t step = kFrames / 2;
    const Decisions d = Compare(sent, {100, step, 300, kEchoGainQ10, false, 40, nullptr}, kFrames, step + 25);
    Check(d.differences == 0, "echo stepping from 100 to 300 ms: the same decisions as the full search's", static_cast<double>(d.differences));
    Check(d.late_speech > 40 && d.late_matched == d.late_speech, "echo stepping from 100 to 300 ms: matched at 300 ms once its window is in",
          static_cast<double>(d.late_matched) / static_cast<double>(d.late_speech));
  }
  // A caller saying something else, alone and over the echo: nothing the full search did not take
  // for echo is taken now.
  {
    const std::vector<int16_t> sent = Speech(16000 * 6, 16000, 64, 7);
    const std::vector<int16_t> caller = Speech(8000 * 6, 8000, 47, 99);
    const Decisions alone = Compare(sent, {237, kFrames, 237, 0, false, 40, &caller}, kFrames, kFrames);
    Check(alone.differences == 0 && alone.matched == 0, "other speech, no echo: never matched, as by the full search",
          static_cast<double>(alone.matched));
    const Decisions over = Compare(sent, {100, kFrames, 100, kEchoGainQ10 / 3, true, 40, &caller}, kFrames, kFrames);
    Check(over.differences == 0, "other speech over a weak echo: the same decisions as the full search's", static_cast<double>(over.differences));
  }
  return parley_test::Finish("echo-matcher");
}

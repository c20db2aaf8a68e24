// EchoMatcher on synthetic speech-like audio (integer arithmetic only, so every machine feeds it
// the same samples): an attenuated, delayed copy of what was sent is matched at its delay, over
// the whole reach and at every leg rate; a caller saying something else is not; Matches() decides
// as the full search at the threshold does, frame by frame, on the bench's echo paths, an echo
// whose delay steps, and a caller's own speech. And against Reference, the matcher as it was
// before its sums were kept exact and incremental, written one lag at a time: random audio
// (speech, noise, silence, clipping, talk-over, delays over the whole reach and past it, gains,
// searches skipped, pushes out of step) gives the same scores to the bit, lags and decisions
// where the decimation is a power of two (a bot at 8 or 16 kHz: means were exact), and the same
// lags and decisions from 24 and 48 kHz, where a mean was rounded to a float and the score may
// differ in its last bits.
// Prints one line per check; the exit status is the number of failures.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "media/barge_in_detector.h"
#include "media/echo_matcher.h"
#include "test/check.h"

namespace {

constexpr int kFrameMs = 20;
constexpr int32_t kEchoGainQ10 = 307;  // -10.5 dB
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

// The matcher as it was before its sums were kept exact and incremental (commit 18315f5), one lag
// at a time and with nothing kept between frames but the histories and the tracked lag: samples
// are means over the decimation in floats, and every score is summed over the window in its
// order in double, recomputed on every search.
class Reference {
 public:
  Reference(int frame_ms, int sent_rate_hz, int caller_rate_hz)
      : frame_fine_(static_cast<size_t>(kFineRate / 1000 * frame_ms)),
        sent_(Samples(parley::EchoMatcher::kWindowMs + parley::EchoMatcher::kMaxEchoDelayMs), Decimation(sent_rate_hz)),
        caller_(Samples(parley::EchoMatcher::kWindowMs), Decimation(caller_rate_hz)) {}

  void PushSent(const int16_t* frame, size_t samples) { Push(sent_, frame, samples); }
  void PushCaller(const int16_t* frame, size_t samples) { Push(caller_, frame, samples); }
  float Correlation() { return Measure() ? Search() : 0.0f; }
  bool Matches(float threshold) {
    if (!Measure()) return 0.0f >= threshold;
    if (tracked_lag_ < lags_) {
      Best near{0.0f, 0};
      for (size_t lag = From(tracked_lag_); lag <= To(tracked_lag_); ++lag) Rank(Fine(lag), lag, near);
      if (near.first >= threshold) {
        tracked_lag_ = near.second;
        return true;
      }
    }
    return Search() >= threshold;
  }
  size_t lag_samples() const { return tracked_lag_; }

 private:
  static constexpr int kFineRate = parley::EchoMatcher::kAnalysisRateHz;
  static constexpr size_t kCoarse = parley::EchoMatcher::kCoarseFactor;
  static constexpr int kRefine = parley::EchoMatcher::kRefineSamples;
  static size_t Samples(int ms) { return static_cast<size_t>(kFineRate / 1000 * ms); }
  static size_t Decimation(int rate_hz) { return static_cast<size_t>(std::max(1, rate_hz / kFineRate)); }

  struct History {
    History(size_t size, size_t decimation_factor) : fine(size), coarse(size / kCoarse), decimation(decimation_factor) {}
    std::vector<float> fine;    // oldest first
    std::vector<float> coarse;  // oldest first
    size_t decimation;
    size_t filled = 0;
  };
  using Best = std::pair<float, size_t>;  // a score and its lag

  // Appends `samples` and drops as many of the oldest.
  static void Shift(std::vector<float>& history, const std::vector<float>& samples) {
    history.insert(history.end(), samples.begin(), samples.end());
    history.erase(history.begin(), history.begin() + static_cast<std::ptrdiff_t>(samples.size()));
  }
  void Push(History& history, const int16_t* frame, size_t samples) const {
    const size_t count = std::min(frame_fine_, history.fine.size());
    std::vector<float> fine(count);
    for (size_t i = 0; i < count; ++i) {
      float sum = 0;
      if (frame != nullptr && (i + 1) * history.decimation <= samples) {
        for (size_t k = 0; k < history.decimation; ++k) sum += frame[i * history.decimation + k];
      }
      fine[i] = sum / static_cast<float>(history.decimation);
    }
    std::vector<float> coarse(count / kCoarse);
    for (size_t i = 0; i < coarse.size(); ++i) {
      float sum = 0;
      for (size_t k = 0; k < kCoarse; ++k) sum += fine[i * kCoarse + k];
      coarse[i] = sum / static_cast<float>(kCoarse);
    }
    Shift(history.fine, fine);
    Shift(history.coarse, coarse);
    history.filled = std::min(history.fine.size(), history.filled + count);
  }
  static double Energy(const std::vector<float>& signal) {
    double sum = 0;
    for (const float x : signal) sum += static_cast<double>(x) * x;
    return sum;
  }
  // The window's energies and the lags the sent history holds; false if there is nothing to match.
  bool Measure() {
    if (sent_.filled < caller_.fine.size()) return false;
    energy_ = Energy(caller_.fine);
    coarse_energy_ = Energy(caller_.coarse);
    lags_ = sent_.filled - caller_.fine.size() + 1;
    return energy_ > 0 && coarse_energy_ > 0;
  }
  // The window against the sent segment `lag` samples before the newest.
  static float Score(const std::vector<float>& sent, const std::vector<float>& window, double window_energy, size_t lag) {
    const size_t start = sent.size() - window.size() - lag;
    double cross = 0;
    double energy = 0;
    for (size_t i = 0; i < window.size(); ++i) {
      const double x = sent[start + i];
      cross += x * window[i];
      energy += x * x;
    }
    return static_cast<float>(cross / std::sqrt(std::max(energy * window_energy, std::numeric_limits<double>::min())));
  }
  float Fine(size_t lag) const { return Score(sent_.fine, caller_.fine, energy_, lag); }
  static size_t From(size_t centre) { return centre >= kRefine ? centre - kRefine : 0; }
  size_t To(size_t centre) const { return std::min(lags_ - 1, centre + kRefine); }
  static void Rank(float score, size_t lag, Best& best) {
    if (score > best.first) best = {score, lag};
  }
  float Search() {
    // The best kCandidates coarse lags, in descending order (a tie keeps the earlier lag first).
    std::vector<Best> candidates(parley::EchoMatcher::kCandidates, Best{-2.0f, 0});
    for (size_t lag = 0; lag < (lags_ + kCoarse - 1) / kCoarse; ++lag) {
      const float score = Score(sent_.coarse, caller_.coarse, coarse_energy_, lag);
      for (size_t slot = 0; slot < candidates.size(); ++slot) {
        if (score <= candidates[slot].first) continue;
        candidates.insert(candidates.begin() + static_cast<std::ptrdiff_t>(slot), Best{score, lag});
        candidates.pop_back();
        break;
      }
    }
    std::vector<size_t> centres;
    for (const Best& candidate : candidates) {
      if (candidate.first > -2.0f) centres.push_back(candidate.second * kCoarse);
    }
    if (tracked_lag_ < lags_) centres.push_back(tracked_lag_);
    Best best{0.0f, 0};
    for (size_t slot = 0; slot < centres.size(); ++slot) {
      for (size_t lag = From(centres[slot]); lag <= To(centres[slot]); ++lag) {
        bool scored = false;
        for (size_t earlier = 0; earlier < slot; ++earlier) scored |= lag >= From(centres[earlier]) && lag <= To(centres[earlier]);
        if (!scored) Rank(Fine(lag), lag, best);
      }
    }
    tracked_lag_ = best.second;
    return best.first;
  }

  size_t frame_fine_;
  History sent_;
  History caller_;
  size_t tracked_lag_ = 0;
  double energy_ = 0;         // the window's, at 4 kHz
  double coarse_energy_ = 0;  // and at 1 kHz
  size_t lags_ = 0;           // at 4 kHz
};

uint32_t Next(uint32_t& state) {
  state = state * 1664525u + 1013904223u;
  return state >> 8;
}

int16_t Clip(int64_t x) { return static_cast<int16_t>(x > 32767 ? 32767 : x < -32768 ? -32768 : x); }

// What one comparison with Reference found, over every frame on which both were asked.
struct Agreement {
  size_t scores = 0;          // Correlation() calls
  size_t bit_differences = 0;  // scores not the same to the bit
  float max_difference = 0;
  size_t decisions = 0;  // Matches() calls
  size_t decision_differences = 0;
  size_t matched = 0;
  size_t lag_differences = 0;  // lag_samples() after either call
  void Add(const Agreement& other) {
    scores += other.scores;
    bit_differences += other.bit_differences;
    max_difference = std::max(max_difference, other.max_difference);
    decisions += other.decisions;
    decision_differences += other.decision_differences;
    matched += other.matched;
    lag_differences += other.lag_differences;
  }
};

// Feeds EchoMatcher and Reference the same frames (`sent` at sent_rate_hz; `leg` at
// caller_rate_hz, both a frame at a time, nullptr for a silent sent frame) and compares
// Correlation() on one pair and Matches(threshold) on another, frame by frame. `ask` says on
// which frames each pair is asked (bit 0: Correlation, bit 1: Matches; as barge-in asks only on
// speech frames), `extra` which direction gets one more push in a frame (1 sent, 2 caller).
struct Feed {
  int sent_rate_hz;
  int caller_rate_hz;
  std::vector<std::vector<int16_t>> sent;  // empty: nothing sent
  std::vector<std::vector<int16_t>> leg;
  std::vector<uint8_t> ask;
  std::vector<uint8_t> extra;
  std::vector<float> threshold;
};

Agreement Compare(const Feed& feed) {
  parley::EchoMatcher scored(kFrameMs, feed.sent_rate_hz, feed.caller_rate_hz);
  Reference scored_before(kFrameMs, feed.sent_rate_hz, feed.caller_rate_hz);
  parley::EchoMatcher decided(kFrameMs, feed.sent_rate_hz, feed.caller_rate_hz);
  Reference decided_before(kFrameMs, feed.sent_rate_hz, feed.caller_rate_hz);
  Agreement agreement;
  for (size_t frame = 0; frame < feed.leg.size(); ++frame) {
    const std::vector<int16_t>& sent = feed.sent[frame];
    const std::vector<int16_t>& leg = feed.leg[frame];
    for (int push = 0; push < (feed.extra[frame] == 1 ? 2 : 1); ++push) {
      scored.PushSent(sent.empty() ? nullptr : sent.data(), sent.size());
      scored_before.PushSent(sent.empty() ? nullptr : sent.data(), sent.size());
      decided.PushSent(sent.empty() ? nullptr : sent.data(), sent.size());
      decided_before.PushSent(sent.empty() ? nullptr : sent.data(), sent.size());
    }
    for (int push = 0; push < (feed.extra[frame] == 2 ? 2 : 1); ++push) {
      scored.PushCaller(leg.data(), leg.size());
      scored_before.PushCaller(leg.data(), leg.size());
      decided.PushCaller(leg.data(), leg.size());
      decided_before.PushCaller(leg.data(), leg.size());
    }
    if ((feed.ask[frame] & 1) != 0) {
      const float now = scored.Correlation();
      const float before = scored_before.Correlation();
      ++agreement.scores;
      agreement.bit_differences += std::memcmp(&now, &before, sizeof now) != 0 ? 1 : 0;
      agreement.max_difference = std::max(agreement.max_difference, std::fabs(now - before));
      agreement.lag_differences += scored.lag_samples() != scored_before.lag_samples() ? 1 : 0;
    }
    if ((feed.ask[frame] & 2) != 0) {
      const bool now = decided.Matches(feed.threshold[frame]);
      const bool before = decided_before.Matches(feed.threshold[frame]);
      ++agreement.decisions;
      agreement.decision_differences += now != before ? 1 : 0;
      agreement.matched += now ? 1 : 0;
      agreement.lag_differences += decided.lag_samples() != decided_before.lag_samples() ? 1 : 0;
    }
  }
  return agreement;
}

// A random call of `frames` frames from `seed`: the bot's speech (random pitch and level, pauses
// and silent frames, bursts of full-scale noise, clipped), its echo on the leg (random delay over
// the reach and a little past it, stepping once; gain from none to clipping), the caller talking
// over it at random, hiss; searches asked on most frames, a threshold of three, now and then a
// push out of step or a short frame.
Feed RandomCall(uint32_t seed, int sent_rate_hz, int caller_rate_hz, size_t frames) {
  uint32_t state = seed;
  Feed feed{sent_rate_hz, caller_rate_hz, {}, {}, {}, {}, {}};
  const size_t sent_samples = static_cast<size_t>(sent_rate_hz / 1000 * kFrameMs);
  const size_t leg_samples = static_cast<size_t>(caller_rate_hz / 1000 * kFrameMs);
  const size_t seconds = frames * kFrameMs / 1000 + 1;
  const std::vector<int16_t> bot = Speech(static_cast<size_t>(sent_rate_hz) * seconds, sent_rate_hz, 40 + static_cast<int>(Next(state) % 60), Next(state));
  const std::vector<int16_t> caller =
      Speech(static_cast<size_t>(caller_rate_hz) * seconds, caller_rate_hz, 30 + static_cast<int>(Next(state) % 60), Next(state));
  std::vector<int16_t> sent_stream(bot.size());
  int32_t level_q8 = 256;
  for (size_t i = 0; i < bot.size(); ++i) {
    if (i % sent_samples == 0 && Next(state) % 8 == 0) level_q8 = static_cast<int32_t>(Next(state) % 5) * 160;  // 0 (a pause) to 2.5x
    const bool burst = (i / sent_samples) % 97 == seed % 97;  // a frame of full-scale noise
    sent_stream[i] = burst ? Clip(static_cast<int32_t>(Next(state) >> 8) - 32768) : Clip(static_cast<int64_t>(bot[i]) * level_q8 / 256);
  }
  const int gains_q10[] = {0, 102, 324, 1024, 3000};
  const int32_t gain_q10 = gains_q10[Next(state) % 5];
  const int delay_ms = static_cast<int>(Next(state) % 521);
  const int stepped_ms = static_cast<int>(Next(state) % 521);
  const size_t step_frame = Next(state) % (frames + 1);
  const int32_t hiss = static_cast<int32_t>(Next(state) % 600);
  bool talking = false;
  for (size_t frame = 0; frame < frames; ++frame) {
    if (Next(state) % 10 == 0) talking = !talking;
    const int delay = frame < step_frame ? delay_ms : stepped_ms;
    std::vector<int16_t> leg(leg_samples);
    for (size_t i = 0; i < leg_samples; ++i) {
      const int64_t at = static_cast<int64_t>(frame * leg_samples + i) * sent_rate_hz / caller_rate_hz - static_cast<int64_t>(delay) * sent_rate_hz / 1000;
      int64_t x = at >= 0 ? static_cast<int64_t>(gain_q10) * sent_stream[static_cast<size_t>(at)] / 1024 : 0;
      if (talking) x += caller[frame * leg_samples + i];
      x += hiss * (static_cast<int32_t>(Next(state) % 1024) - 512) / 512;
      leg[i] = Clip(x);
    }
    const bool silent = Next(state) % 16 == 0;
    const bool short_frame = Next(state) % 50 == 0;
    std::vector<int16_t> sent;
    if (!silent) sent.assign(sent_stream.begin() + static_cast<std::ptrdiff_t>(frame * sent_samples),
                             sent_stream.begin() + static_cast<std::ptrdiff_t>(frame * sent_samples + (short_frame ? sent_samples / 2 : sent_samples)));
    feed.sent.push_back(std::move(sent));
    feed.leg.push_back(std::move(leg));
    const uint32_t ask = Next(state) % 8;
    feed.ask.push_back(static_cast<uint8_t>(ask == 0 ? 0 : ask < 3 ? 1 : ask < 5 ? 2 : 3));
    const uint32_t extra = Next(state) % 200;
    feed.extra.push_back(static_cast<uint8_t>(extra == 0 ? 1 : extra == 1 ? 2 : 0));
    const float thresholds[] = {0.5f, parley::BargeInDetector::kEchoCorrelation, 0.9f};
    feed.threshold.push_back(thresholds[Next(state) % 3]);
  }
  return feed;
}

// A feed of fixed frames: `sent` and its exact copy `delay_ms` late on a leg of the same rate
// (scaled by gain_q10 / 1024, clipped), every pair asked every frame at the barge-in threshold.
Feed Copy(int rate_hz, const std::vector<int16_t>& sent, int delay_ms, int32_t gain_q10, size_t frames) {
  Feed feed{rate_hz, rate_hz, {}, {}, {}, {}, {}};
  const size_t samples = static_cast<size_t>(rate_hz / 1000 * kFrameMs);
  const size_t delay = static_cast<size_t>(rate_hz / 1000 * delay_ms);
  for (size_t frame = 0; frame < frames; ++frame) {
    std::vector<int16_t> leg(samples);
    for (size_t i = 0; i < samples; ++i) {
      const size_t at = frame * samples + i;
      leg[i] = at >= delay ? Clip(static_cast<int64_t>(gain_q10) * sent[at - delay] / 1024) : 0;
    }
    feed.sent.emplace_back(sent.begin() + static_cast<std::ptrdiff_t>(frame * samples), sent.begin() + static_cast<std::ptrdiff_t>((frame + 1) * samples));
    feed.leg.push_back(std::move(leg));
    feed.ask.push_back(3);
    feed.extra.push_back(0);
    feed.threshold.push_back(parley::BargeInDetector::kEchoCorrelation);
  }
  return feed;
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
  // Against Reference, the matcher before its sums were exact and incremental, on random calls:
  // 12 calls of 6 s at each pair of rates a session can pair, and a 48 kHz leg with a 16 kHz bot.
  {
    const int pairs[][2] = {{16000, 8000}, {16000, 16000}, {8000, 8000}, {24000, 16000}, {24000, 24000}, {48000, 48000}, {16000, 48000}};
    for (const auto& rate : pairs) {
      Agreement all;
      for (uint32_t call = 1; call <= 12; ++call) {
        all.Add(Compare(RandomCall(call * 7919u + static_cast<uint32_t>(rate[0] + rate[1]), rate[0], rate[1], 300)));
      }
      // Means over 2 or 4 samples were exact; over 3, 6 or 12 they were rounded to a float.
      const bool exact = 16000 % rate[0] == 0 && 16000 % rate[1] == 0;
      if (exact) {
        std::snprintf(what, sizeof what, "random calls, bot %d Hz, leg %d Hz: %zu scores the same to the bit as Reference's", rate[0], rate[1],
                      all.scores);
        Check(all.bit_differences == 0 && all.scores > 2000, what, static_cast<double>(all.bit_differences));
      } else {
        std::snprintf(what, sizeof what, "random calls, bot %d Hz, leg %d Hz: %zu scores within 1e-5 of Reference's (its means were rounded)",
                      rate[0], rate[1], all.scores);
        Check(all.max_difference <= 1e-5f && all.scores > 2000, what, all.max_difference);
      }
      std::snprintf(what, sizeof what, "random calls, bot %d Hz, leg %d Hz: the same %zu decisions (%zu matched) and lags as Reference's", rate[0],
                    rate[1], all.decisions, all.matched);
      Check(all.decision_differences == 0 && all.lag_differences == 0 && all.matched > 100, what,
            static_cast<double>(all.decision_differences + all.lag_differences));
    }
  }
  // Silence: nothing sent and nothing heard, the bot alone, the caller alone: no score, no match,
  // as Reference.
  {
    const std::vector<int16_t> speech = Speech(16000 * 3, 16000, 64, 7);
    const std::vector<int16_t> silence(16000 * 3, 0);
    const Feed quiet = Copy(16000, silence, 100, 1024, 100);
    Feed bot_alone = Copy(16000, speech, 100, 0, 100);
    Feed caller_alone = Copy(16000, speech, 100, 1024, 100);
    for (auto& sent : caller_alone.sent) sent.clear();
    for (const auto& [feed, name] : {std::pair{&quiet, "silence both ways"}, {&bot_alone, "the bot over a silent leg"},
                                     {&caller_alone, "the caller with nothing sent"}}) {
      const Agreement a = Compare(*feed);
      std::snprintf(what, sizeof what, "%s: never matched, every score and decision as Reference's", name);
      Check(a.matched == 0 && a.bit_differences == 0 && a.decision_differences == 0 && a.lag_differences == 0, what,
            static_cast<double>(a.matched));
    }
  }
  // Full scale, clipping and the ends of the reach: a copy of full-scale noise (every sample
  // 32767 or -32768, the largest sums the matcher can meet) at 48 kHz scores exactly 1 at its
  // delay, 0 and 500 ms late; 500 ms is still found at 16 kHz, as by Reference; a copy 4x too
  // loud (clipped) is scored as Reference does; 520 ms late (past the reach) is never matched.
  {
    uint32_t state = 5;
    std::vector<int16_t> noise(48000 * 3);
    for (auto& x : noise) x = (Next(state) >> 15 & 1) != 0 ? 32767 : -32768;
    for (int delay_ms : {0, parley::EchoMatcher::kMaxEchoDelayMs}) {
      parley::EchoMatcher matcher(kFrameMs, 48000, 48000);
      const Feed feed = Copy(48000, noise, delay_ms, 1024, 60);
      size_t exact = 0;
      size_t frames = 0;
      for (size_t frame = 0; frame < feed.leg.size(); ++frame) {
        matcher.PushSent(feed.sent[frame].data(), feed.sent[frame].size());
        matcher.PushCaller(feed.leg[frame].data(), feed.leg[frame].size());
        const float score = matcher.Correlation();
        if (static_cast<int>(frame) * kFrameMs < delay_ms + parley::EchoMatcher::kWindowMs) continue;
        ++frames;
        exact += score == 1.0f && matcher.lag_samples() == static_cast<size_t>(parley::EchoMatcher::kAnalysisRateHz / 1000 * delay_ms) ? 1 : 0;
      }
      std::snprintf(what, sizeof what, "full-scale noise at 48 kHz, %d ms late: scored exactly 1 at its delay on every frame", delay_ms);
      Check(frames > 20 && exact == frames, what, static_cast<double>(exact) / static_cast<double>(frames));
    }
    const std::vector<int16_t> speech = Speech(16000 * 3, 16000, 64, 7);
    const Agreement far = Compare(Copy(16000, speech, parley::EchoMatcher::kMaxEchoDelayMs, kEchoGainQ10, 100));
    Check(far.bit_differences == 0 && far.decision_differences == 0 && far.lag_differences == 0 && far.matched > 30,
          "speech 500 ms late (the end of the reach): matched, every score, decision and lag as Reference's", static_cast<double>(far.matched));
    const Agreement loud = Compare(Copy(16000, speech, 100, 4096, 100));
    Check(loud.bit_differences == 0 && loud.decision_differences == 0 && loud.lag_differences == 0 && loud.matched > 30,
          "an echo 4x too loud, clipped: matched, every score, decision and lag as Reference's", static_cast<double>(loud.matched));
    std::vector<int16_t> white(16000 * 3);
    for (auto& x : white) x = static_cast<int16_t>(static_cast<int32_t>(Next(state) >> 8) - 32768);
    const Agreement beyond = Compare(Copy(16000, white, parley::EchoMatcher::kMaxEchoDelayMs + 20, 1024, 100));
    Check(beyond.matched == 0 && beyond.bit_differences == 0 && beyond.decision_differences == 0,
          "white noise 520 ms late (past the reach): never matched, every score and decision as Reference's", static_cast<double>(beyond.matched));
  }
  return parley_test::Finish("echo-matcher");
}

// BargeInDetector's echo guard on synthetic audio (integer arithmetic only, so every machine feeds
// it the same samples), with the VAD's decisions given: speech wherever the line is 6 dB over its
// hiss. The guard takes a waveform match for echo only where the line's level could be echo
// (EchoLevelPlausibility), so a caller whose audio resembles the bot's, starting after a pause
// the bot's words would have filled, is decided at the minimum speech duration, where before the
// guard held them back for good; and the bot's real echo (40-300 ms late, -6 and -10 dB, through
// a room's 4 paths, over hiss), which the VAD calls speech, still never interrupts it. With a
// scripted canceller: when its output is trusted, what one loud frame learnt as echo may take
// from the trust, and the strong run. After a caller's turn: babble under their level, and their
// own soft onset.
// Prints one line per check; the exit status is the number of failures.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "media/barge_in_detector.h"
#include "test/check.h"

namespace {

constexpr int kRateHz = 16000;
constexpr int kFrameMs = 20;
constexpr size_t kFrameSamples = kRateHz / 1000 * kFrameMs;
constexpr int kMinSpeechMs = 120;
constexpr size_t kBotStartFrame = 50;  // the bot starts after 1 s of line hiss
constexpr int32_t kHiss = 16;          // amplitude: about -70 dBFS
constexpr float kSpeechOverHissDb = 6.0f;
using parley_test::Check;

// Q10 gains of -6 and -10 dB.
constexpr int32_t kMinus6DbQ10 = 513;
constexpr int32_t kMinus10DbQ10 = 324;

// The bot's speech: glottal pulses whose period glides within each syllable (so no two stretches
// of it are alike and the matcher finds the echo at its delay only) through a resonator, in
// syllables of 200-320 ms; with `pauses`, 60 ms gaps between them and every 2 s a 400 ms pause
// between sentences.
std::vector<int16_t> BotSpeech(size_t frames, bool pauses) {
  std::vector<int16_t> out(frames * kFrameSamples);
  int32_t y1 = 0;
  int32_t y2 = 0;
  uint32_t state = 2024;
  size_t syllable_start = 0;
  size_t syllable = 0;
  size_t next_pulse = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    const size_t syllable_samples = static_cast<size_t>(kRateHz) * (200 + 40 * (syllable % 4)) / 1000;
    const size_t gap_samples = pauses ? static_cast<size_t>(kRateHz) * (syllable % 7 == 6 ? 400 : 60) / 1000 : 0;
    if (i - syllable_start >= syllable_samples + gap_samples) {
      syllable_start = i;
      ++syllable;
    }
    const size_t into = i - syllable_start;
    state = state * 1664525u + 1013904223u;
    const int32_t noise = static_cast<int32_t>(state >> 22) - 512;
    int32_t pulse = 0;
    if (i >= next_pulse) {
      pulse = 9000;
      // 100-140 samples (114-160 Hz), rising through the syllable, another start per syllable.
      next_pulse = i + 100 + (syllable * 13) % 25 + into * 15 / syllable_samples;
    }
    // y = x + 1.5 y1 - 0.75 y2 in Q10.
    const int32_t y = pulse + noise + (1536 * y1 - 768 * y2) / 1024;
    y2 = y1;
    y1 = y;
    const int32_t voiced = into < syllable_samples ? y : noise / 16;
    out[i] = static_cast<int16_t>(voiced > 32767 ? 32767 : voiced < -32768 ? -32768 : voiced);
  }
  return out;
}

struct Line {
  int echo_delay_ms;
  int32_t echo_gain_q10;  // 0: no echo
  // Caller audio added from `caller_frame` on (its sample 0 there), if given.
  const std::vector<int16_t>* caller;
  size_t caller_frame;
};

struct Result {
  size_t barge_ins = 0;
  size_t first_frame = 0;  // the frame of the first barge-in
  int echo_frames = 0;
};

// The bot sends `bot` from kBotStartFrame on; the line carries hiss, its echo through a room's 4
// paths (0, 3, 8, 15 ms) and the caller; the detector runs on every frame as a session runs it.
Result Drive(const std::vector<int16_t>& bot, const Line& line, size_t frames) {
  parley::BargeInDetector detector(kMinSpeechMs, kFrameMs, kRateHz, kRateHz);
  const int paths_ms[] = {0, 3, 8, 15};
  const int32_t paths_q10[] = {1024, -512, 307, -205};
  std::vector<int16_t> sent(frames * kFrameSamples, 0);
  std::vector<int16_t> capture(kFrameSamples);
  uint32_t state = 77;
  Result result;
  for (size_t frame = 0; frame < frames; ++frame) {
    const bool bot_plays = frame >= kBotStartFrame && (frame - kBotStartFrame + 1) * kFrameSamples <= bot.size();
    if (bot_plays) {
      for (size_t i = 0; i < kFrameSamples; ++i) sent[frame * kFrameSamples + i] = bot[(frame - kBotStartFrame) * kFrameSamples + i];
    }
    double energy = 0;
    double hiss_energy = 0;
    for (size_t i = 0; i < kFrameSamples; ++i) {
      const int64_t at = static_cast<int64_t>(frame * kFrameSamples + i);
      state = state * 1664525u + 1013904223u;
      const int64_t hiss = kHiss * (static_cast<int32_t>(state >> 22) - 512) / 512;
      int64_t x = hiss;
      for (size_t path = 0; path < 4 && line.echo_gain_q10 != 0; ++path) {
        const int64_t from = at - static_cast<int64_t>(line.echo_delay_ms + paths_ms[path]) * kRateHz / 1000;
        if (from >= 0) x += static_cast<int64_t>(line.echo_gain_q10) * paths_q10[path] / 1024 * sent[static_cast<size_t>(from)] / 1024;
      }
      if (line.caller != nullptr && frame >= line.caller_frame) {
        const size_t k = (frame - line.caller_frame) * kFrameSamples + i;
        if (k < line.caller->size()) x += (*line.caller)[k];
      }
      capture[i] = static_cast<int16_t>(x > 32767 ? 32767 : x < -32768 ? -32768 : x);
      energy += static_cast<double>(capture[i]) * capture[i];
      hiss_energy += static_cast<double>(hiss) * hiss;
    }
    // The VAD, as barge-in hears it: the frame's power over the noise (the hiss), speech from 6 dB.
    const float snr_db = static_cast<float>(10.0 * std::log10((energy + 1.0) / (hiss_energy + 1.0)));
    const bool fired = detector.Process(capture.data(), snr_db >= kSpeechOverHissDb, snr_db, bot_plays ? &sent[frame * kFrameSamples] : nullptr);
    if (fired && result.barge_ins++ == 0) result.first_frame = frame;
  }
  result.echo_frames = detector.echo_frames();
  return result;
}

// One frame of a scripted canceller (DriveCanceller): whether the VAD calls it speech and how loud
// the canceller's output is (a uniform noise's amplitude), its linear ERLE.
struct CancelledFrame {
  bool speech;
  int32_t output_amplitude;
  float erle_db;
};

// With the echo guard off: the bot sends noise; the line carries its echo 10 dB under it, which
// the canceller (its stats given) takes 40 dB down (an output of amplitude 25). A frame the VAD
// calls speech has a filter error 10 dB over the residual predicted (a relearning filter missing
// the echo, or a caller), its capture still under Geigel's bound. Returns the frame of the first
// barge-in, or -1.
int DriveCanceller(const std::vector<CancelledFrame>& script) {
  parley::BargeInDetector detector(kMinSpeechMs, kFrameMs, kRateHz, kRateHz, false);
  std::vector<int16_t> sent(kFrameSamples);
  std::vector<int16_t> capture(kFrameSamples);
  std::vector<int16_t> output(kFrameSamples);
  parley::EchoCancellerStats stats;
  stats.converged = true;
  const parley::BargeInDetector::Cancelled cancelled{output.data(), &stats};
  uint32_t state = 5;
  const auto noise = [&state](int32_t amplitude) {
    state = state * 1664525u + 1013904223u;
    return static_cast<int16_t>(amplitude * (static_cast<int32_t>(state >> 22) - 512) / 512);
  };
  for (size_t frame = 0; frame < script.size(); ++frame) {
    const CancelledFrame& scripted = script[frame];
    for (size_t i = 0; i < kFrameSamples; ++i) {
      sent[i] = noise(8000);
      capture[i] = noise(2530);
      output[i] = noise(scripted.output_amplitude);
    }
    stats.erle_db = scripted.erle_db;
    stats.frame_residual_power = 1.0e6f;
    stats.frame_error_power = scripted.speech ? 1.0e7f : 1.0e6f;
    if (detector.Process(capture.data(), scripted.speech, scripted.speech ? 15.0f : -5.0f, sent.data(), &cancelled)) {
      return static_cast<int>(frame);
    }
  }
  return -1;
}

// Output amplitudes over what the canceller leaves of the echo's bound (amplitude 25 learnt as its
// echo: the bound, 6 dB under the bot's, less 40 dB, is about amplitude 40): 28 dB over it, a
// strong frame; 11 dB, one that counts but is not strong.
constexpr int32_t kEchoLeft = 25;
constexpr int32_t kStrongOutput = 1000;
constexpr int32_t kWeakOutput = 150;

// `frames` frames of the converged canceller's echo alone, its ERLE at 16 dB (trusted after 300 ms).
std::vector<CancelledFrame> TrustedEcho(size_t frames) { return std::vector<CancelledFrame>(frames, {false, kEchoLeft, 16.0f}); }

void Append(std::vector<CancelledFrame>& script, size_t frames, const CancelledFrame& frame) { script.insert(script.end(), frames, frame); }

// Uniform noise of `amplitude` added to `line` over `frames` frames from `from_frame`.
void AddNoise(std::vector<int16_t>& line, size_t from_frame, size_t frames, int32_t amplitude, uint32_t seed) {
  for (size_t i = from_frame * kFrameSamples; i < (from_frame + frames) * kFrameSamples; ++i) {
    seed = seed * 1664525u + 1013904223u;
    line[i] = static_cast<int16_t>(line[i] + amplitude * (static_cast<int32_t>(seed >> 22) - 512) / 512);
  }
}

// Amplitudes, as a voice and what is behind it: the caller at about -18 dBFS, babble 10 dB under
// them, the caller's soft onset 11 dB under them.
constexpr int32_t kCallerAmplitude = 4000;
constexpr int32_t kBabbleAmplitude = 1265;
constexpr int32_t kSoftOnsetAmplitude = 1128;
constexpr size_t kCallerTurnFrames = 40;  // the caller's turn before the bot's answer (bot silent)

}  // namespace

int main() {
  constexpr size_t kFrames = 600;  // 12 s, the bot talking for the last 11
  char what[200];
  const std::vector<int16_t> bot = BotSpeech(kFrames - kBotStartFrame, true);

  // A caller whose audio resembles what the bot said 250 ms before (as synthesised voices share
  // their consonants' waveforms with the bot's), -6 dB under it, after a silence the bot's words
  // would have filled at every delay: no echo path leaves the line that quiet, so it is the caller.
  // Before the level test, every one of its frames matched (≥ 0.99) and it never interrupted.
  {
    const std::vector<int16_t> bot = BotSpeech(kFrames - kBotStartFrame, false);
    constexpr size_t kCallerFrame = 200;  // 3 s into the bot's speech, within a syllable
    constexpr size_t kCopyDelayFrames = 250 / kFrameMs;
    std::vector<int16_t> caller(bot.begin() + (kCallerFrame - kBotStartFrame - kCopyDelayFrames) * kFrameSamples,
                                bot.begin() + (kCallerFrame - kBotStartFrame - kCopyDelayFrames + 50) * kFrameSamples);
    for (int16_t& sample : caller) sample = static_cast<int16_t>(sample * kMinus6DbQ10 / 1024);
    const Result result = Drive(bot, {0, 0, &caller, kCallerFrame}, kFrames);
    const int decided_ms = result.barge_ins > 0 ? static_cast<int>(result.first_frame + 1 - kCallerFrame) * kFrameMs : -1;
    std::snprintf(what, sizeof what, "caller resembling the bot's audio after a pause no echo leaves: decided in %d ms (%zu barge-ins)",
                  decided_ms, result.barge_ins);
    Check(result.barge_ins == 1 && decided_ms >= kMinSpeechMs && decided_ms <= 160, what, decided_ms);
  }

  // The bot's echo alone, which the VAD calls speech: never a barge-in, and the guard is what
  // holds it off (it takes frames for echo).
  for (int delay_ms : {40, 100, 200, 300}) {
    for (int32_t gain_q10 : {kMinus6DbQ10, kMinus10DbQ10}) {
      const Result result = Drive(bot, {delay_ms, gain_q10, nullptr, 0}, kFrames);
      std::snprintf(what, sizeof what, "echo %d ms late at %.0f dB: no barge-in in 11 s (%d frames taken for echo)", delay_ms,
                    20.0 * std::log10(gain_q10 / 1024.0), result.echo_frames);
      Check(result.barge_ins == 0 && result.echo_frames > 100, what, static_cast<double>(result.barge_ins));
    }
  }
  // The trust in the canceller's output is gained once its ERLE has held 15 dB for 300 ms: 60 ms
  // after the ERLE crossed it, a frame the trusted double-talk test would count is not counted
  // (over a moving echo path, the echo of a syllable the relearning filter still missed
  // interrupted the bot that way); 400 ms after, the same frames are the caller's.
  for (size_t loud_after : {3, 20}) {
    std::vector<CancelledFrame> script(100, {false, kEchoLeft, 10.0f});
    Append(script, loud_after, {false, kEchoLeft, 16.0f});
    Append(script, 10, {true, kStrongOutput, 16.0f});
    const int fired = DriveCanceller(script);
    const bool trusted = loud_after == 20;
    std::snprintf(what, sizeof what, "loud output %zu ms after the ERLE crossed 15 dB: %s (barge-in at frame %d)", loud_after * kFrameMs,
                  trusted ? "trusted, decided" : "not trusted yet", fired);
    Check(trusted ? fired >= 0 : fired < 0, what, fired);
  }

  // The trusted output's linear ERLE falls from 16 dB in one frame of echo alone, as a path step
  // takes it: under kLostErleDb the trust goes at once, and the loud output that follows (the echo
  // the filter lost, over its residual prediction) is not counted; at 10 dB it still is.
  for (float fallen_db : {6.0f, 10.0f}) {
    std::vector<CancelledFrame> script = TrustedEcho(50);
    Append(script, 1, {false, kEchoLeft, fallen_db});
    Append(script, 10, {true, kStrongOutput, fallen_db});
    const int fired = DriveCanceller(script);
    const bool lost = fallen_db < parley::BargeInDetector::kLostErleDb;
    std::snprintf(what, sizeof what, "trusted ERLE fallen to %.0f dB in one frame: %s (barge-in at frame %d)", fallen_db,
                  lost ? "trust lost, not counted" : "trust kept, decided", fired);
    Check(lost ? fired < 0 : fired >= 51, what, fired);
  }

  // One loud frame not taken for the caller (the VAD calls it silence), as loud on the output as
  // the echo on the line, learnt as echo: it may lower the echo's measured reduction by about
  // 2.8 dB (kMaxOutputRiseDb), not from 40 to 10 dB, which took the trust and left the caller
  // who spoke next to Geigel's test (under which a caller 10 dB under the bot never counts).
  {
    std::vector<CancelledFrame> script = TrustedEcho(50);
    Append(script, 1, {false, 2530, 16.0f});
    Append(script, 10, {true, kStrongOutput, 16.0f});
    const int fired = DriveCanceller(script);
    std::snprintf(what, sizeof what, "one loud frame learnt as echo keeps the trust: the caller after it decided (frame %d)", fired);
    Check(fired >= 51, what, fired);
  }

  // A strong run: the caller's frames 28 dB over what the canceller leaves of the echo's bound, in
  // bursts of 3 between 60 ms pauses (each ends a run of counted frames before its 120 ms), fire
  // once 5 of them make 60 % of the frames since the first (the 8th); 11 dB over it, the same bursts never do.
  for (int32_t output : {kStrongOutput, kWeakOutput}) {
    std::vector<CancelledFrame> script = TrustedEcho(50);
    for (int burst = 0; burst < 4; ++burst) {
      Append(script, 3, {true, output, 16.0f});
      Append(script, 3, {false, kEchoLeft, 16.0f});
    }
    const int fired = DriveCanceller(script);
    const bool strong = output == kStrongOutput;
    const int decided_ms = fired < 0 ? -1 : (fired + 1 - 50) * kFrameMs;
    std::snprintf(what, sizeof what, "bursts of 3 frames between 60 ms pauses, %s over the echo's bound: %s (decided in %d ms)",
                  strong ? "28 dB" : "11 dB", strong ? "a strong run, decided" : "never decided", decided_ms);
    Check(strong ? decided_ms == 8 * kFrameMs : fired < 0, what, decided_ms);
  }

  // After the caller's turn (which teaches the detector their level), babble 10 dB under them
  // over the bot's answer: its frames are within kCallerLevelMarginDb of the caller, so they
  // count, but none reaches within kCallerLevelPeakMarginDb of it: no barge-in for 2 s, then the
  // caller's own interruption is decided.
  {
    std::vector<int16_t> line(kFrames * kFrameSamples, 0);
    constexpr size_t kBabbleFrame = 100;
    constexpr size_t kCallerFrame = 250;
    AddNoise(line, 0, kCallerTurnFrames, kCallerAmplitude, 11);
    AddNoise(line, kBabbleFrame, 100, kBabbleAmplitude, 12);
    AddNoise(line, kCallerFrame, 20, kCallerAmplitude, 13);
    const Result result = Drive(bot, {0, 0, &line, 0}, kFrames);
    const int decided_ms = result.barge_ins > 0 ? (static_cast<int>(result.first_frame + 1) - static_cast<int>(kCallerFrame)) * kFrameMs : -1;
    std::snprintf(what, sizeof what, "babble 10 dB under the caller's learnt level for 2 s: no barge-in, the caller after it decided in %d ms (%zu barge-ins)",
                  decided_ms, result.barge_ins);
    Check(result.barge_ins == 1 && decided_ms == kMinSpeechMs, what, decided_ms);
  }

  // The caller's own soft onset, 11 dB under their learnt level, counts toward their run
  // (kCallerLevelMarginDb): decided at the minimum speech from its first frame, not 80 ms later.
  {
    std::vector<int16_t> line(kFrames * kFrameSamples, 0);
    constexpr size_t kCallerFrame = 200;
    AddNoise(line, 0, kCallerTurnFrames, kCallerAmplitude, 11);
    AddNoise(line, kCallerFrame, 4, kSoftOnsetAmplitude, 14);
    AddNoise(line, kCallerFrame + 4, 20, kCallerAmplitude, 15);
    const Result result = Drive(bot, {0, 0, &line, 0}, kFrames);
    const int decided_ms = result.barge_ins > 0 ? (static_cast<int>(result.first_frame + 1) - static_cast<int>(kCallerFrame)) * kFrameMs : -1;
    std::snprintf(what, sizeof what, "a caller whose first 80 ms are 11 dB under their learnt level: decided in %d ms", decided_ms);
    Check(result.barge_ins == 1 && decided_ms == kMinSpeechMs, what, decided_ms);
  }
  return parley_test::Finish("barge-in-detector");
}

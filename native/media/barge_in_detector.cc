#include "media/barge_in_detector.h"

#include <algorithm>
#include <cmath>
#include <optional>

namespace parley {

BargeInDetector::BargeInDetector(int min_speech_ms, int frame_ms, int bot_rate_hz, int capture_rate_hz, bool echo_guard)
    : min_speech_ms_(min_speech_ms),
      echo_guard_(echo_guard),
      frame_ms_(frame_ms),
      bot_samples_(static_cast<size_t>(bot_rate_hz / 1000 * frame_ms)),
      capture_samples_(static_cast<size_t>(capture_rate_hz / 1000 * frame_ms)),
      echo_(frame_ms, bot_rate_hz, capture_rate_hz),
      echo_level_(frame_ms),
      reach_ring_frames_(std::clamp<size_t>(static_cast<size_t>(EchoMatcher::kMaxEchoDelayMs / frame_ms), 1, kMaxReachFrames)),
      trust_held_frames_(std::clamp<size_t>(static_cast<size_t>(kTrustErleHeldMs / frame_ms), 1, reach_ring_frames_)),
      reach_frames_(EchoMatcher::kMaxEchoDelayMs / frame_ms),
      frames_since_sent_(reach_frames_) {}

namespace {

float PowerRatio(float db) { return std::pow(10.0f, db / 10.0f); }

const float kMinEchoLoss = PowerRatio(BargeInDetector::kMinEchoReturnLossDb);
const float kMinOverResidual = PowerRatio(BargeInDetector::kMinOverResidualDb);
const float kMinCancelled = PowerRatio(BargeInDetector::kMinCancelledDb);
const float kKeepCancelled = PowerRatio(BargeInDetector::kKeepCancelledDb);
const float kGuardMatchOverResidual = PowerRatio(BargeInDetector::kGuardMatchOverResidualDb);
const float kMaxOutputRise = PowerRatio(BargeInDetector::kMaxOutputRiseDb);
const float kStrongOverBound = PowerRatio(BargeInDetector::kStrongOverBoundDb);

float EnergyPerSample(const int16_t* frame, size_t samples) {
  // The squares a chunk at a time in a loop that vectorises, then added in sample order: the
  // same floats in the same order as one loop, whose running sum kept the squaring scalar.
  constexpr size_t kChunk = 64;
  float squares[kChunk];
  float sum = 0.0f;
  for (size_t start = 0; start < samples; start += kChunk) {
    const size_t count = std::min(kChunk, samples - start);
    for (size_t i = 0; i < count; ++i) squares[i] = static_cast<float>(frame[start + i]) * static_cast<float>(frame[start + i]);
    for (size_t i = 0; i < count; ++i) sum += squares[i];
  }
  return sum / static_cast<float>(samples);
}

}  // namespace

bool BargeInDetector::Span::Push(bool hit, int max_gap_frames) {
  if (frames == 0 && !hit) return false;
  ++frames;
  if (hit) {
    ++hits;
    gap_frames = 0;
  } else if (++gap_frames > max_gap_frames) {
    *this = Span{};
    return false;
  }
  return true;
}

bool BargeInDetector::Run::Frame(const Heard& heard, int frame_ms, int min_speech_ms) {
  const bool speech_alive = speech.Push(heard.counts, (kRunGapMs - 1) / frame_ms);
  const bool strong_alive = strong.Push(heard.strong, kStrongRunGapMs / frame_ms);
  if (!speech_alive && !strong_alive) {
    *this = Run{};  // the caller stopped: a later turn may interrupt again
    return false;
  }
  ++frames;
  if (!heard.counts) return false;
  peak_snr_db = std::max(peak_snr_db, heard.snr_db);
  reached_caller_level = reached_caller_level || heard.at_caller_level;
  // The run spans min_speech_ms from its first speech frame to this one, which is speech too,
  // and is mostly speech: a pause between two syllables does not push the decision back, a click
  // or a cough ends too soon (its trailing silence never completes a run). Or, as long, its
  // strong frames make a strong run (kStrongOverBoundDb). And it rose well above the noise at
  // least once (kMinPeakSnrDb), and reached the caller's own level once (kCallerLevelPeakMarginDb).
  const bool long_enough = speech.frames * frame_ms >= min_speech_ms && speech.hits * 4 >= speech.frames * 3;
  const bool strong_enough = heard.strong && frames * frame_ms >= min_speech_ms && strong.hits >= kStrongFrames &&
                             strong.hits * 100 >= strong.frames * kStrongSharePercent;
  if (fired || !(long_enough || strong_enough) || peak_snr_db < kMinPeakSnrDb || !reached_caller_level) return false;
  fired = true;
  return true;
}

void BargeInDetector::LearnCancellation(const CancelledFrame& frame, bool counted) {
  // Frames taken for the caller are left out: their speech, which the canceller keeps, would make
  // the echo seem less cancelled than it is just when the caller talks over it. The echo's
  // residual that reads as speech is not: right after the canceller's convergence it is 13-20 dB
  // under the echo, which its own residual prediction takes for 5-10 dB less (-6 dB path).
  if (!counted) {
    capture_smoothed_ += kCancelledSmoothing * (frame.capture_energy - capture_smoothed_);
    // Capped only while trusted: before, a reduction read too high would gain the trust early.
    const float output_energy = trust_output_ ? std::min(frame.output_energy, (output_smoothed_ + 1.0f) * kMaxOutputRise) : frame.output_energy;
    output_smoothed_ += kCancelledSmoothing * (output_energy - output_smoothed_);
  }
  cancelled_ratio_ = (capture_smoothed_ + 1.0f) / (output_smoothed_ + 1.0f);
  // The linear ERLE keeps the trust while it reached kMinErleDb within the reach and has not
  // fallen under kLostErleDb, and gains it once it has held kMinErleDb for kTrustErleHeldMs.
  const float erle_db = trust_output_ ? *std::max_element(erle_db_, erle_db_ + reach_ring_frames_) : HeldErleDb();
  const bool lost = trust_output_ && frame.cancelled.stats->erle_db < kLostErleDb;
  trust_output_ = frame.cancelled.stats->converged && !lost && erle_db >= kMinErleDb &&
                  cancelled_ratio_ >= (trust_output_ ? kKeepCancelled : kMinCancelled);
}

float BargeInDetector::HeldErleDb() const {
  float lowest = std::numeric_limits<float>::infinity();
  for (size_t back = 1; back <= trust_held_frames_; ++back) {
    lowest = std::min(lowest, erle_db_[(erle_head_ + reach_ring_frames_ - back) % reach_ring_frames_]);
  }
  return lowest;
}

bool BargeInDetector::MatchedByChance(const CancelledFrame* frame) const {
  if (frame == nullptr || !trust_output_) return false;
  const EchoCancellerStats& stats = *frame->cancelled.stats;
  return stats.frame_error_power >= stats.frame_residual_power * kGuardMatchOverResidual;
}

float BargeInDetector::OverEchoBound(const CancelledFrame& frame) const {
  const float echo_bound = echo_level_.LoudestSent(reach_ring_frames_) / kMinEchoLoss;
  if (!trust_output_) return (frame.capture_energy + 1.0f) / (echo_bound + 1.0f);
  return (frame.output_energy + 1.0f) / (echo_bound / cancelled_ratio_ + 1.0f);
}

bool BargeInDetector::AboveEcho(const CancelledFrame& frame, float over_bound) const {
  if (over_bound < 1.0f) return false;
  const EchoCancellerStats& stats = *frame.cancelled.stats;
  return !trust_output_ || stats.frame_error_power >= stats.frame_residual_power * kMinOverResidual;
}

bool BargeInDetector::CallerLevelKnown() const { return caller_level_frames_ >= kCallerLevelMinFrames; }

BargeInDetector::Heard BargeInDetector::Hear(float level_db, bool voiced, float snr_db, const CancelledFrame* frame) {
  Heard heard{false, false, snr_db, !CallerLevelKnown() || level_db >= caller_level_db_ - kCallerLevelPeakMarginDb};
  if (!voiced || (CallerLevelKnown() && level_db < caller_level_db_ - kCallerLevelMarginDb)) return heard;
  if (frame == nullptr) {
    heard.counts = true;
  } else {
    const float over_bound = OverEchoBound(*frame);
    heard.counts = AboveEcho(*frame, over_bound);
    heard.strong = heard.counts && over_bound >= kStrongOverBound;
  }
  if (heard.counts && echo_guard_) {
    // Only speech frames pay for the correlation, and only a match for the level test.
    if (echo_.Matches(kEchoCorrelation) &&
        echo_level_.Plausible(static_cast<int>(echo_.lag_samples() * 1000 / EchoMatcher::kAnalysisRateHz)) &&
        !MatchedByChance(frame)) {
      ++echo_frames_;
      heard.counts = false;
      heard.strong = false;
    }
  }
  return heard;
}

bool BargeInDetector::Process(const int16_t* capture, bool speech, float snr_db, const int16_t* bot_frame, const Cancelled* cancelled) {
  const float sent_energy = bot_frame != nullptr ? EnergyPerSample(bot_frame, bot_samples_) : 0.0f;
  const float capture_energy = EnergyPerSample(capture, capture_samples_);
  echo_level_.Push(sent_energy, capture_energy);
  erle_db_[erle_head_] = cancelled != nullptr ? cancelled->stats->erle_db : 0.0f;
  erle_head_ = erle_head_ + 1 == reach_ring_frames_ ? 0 : erle_head_ + 1;
  // Histories are kept only for the guard. Silence is recorded as sent too: the echo of the bot's previous sentence still arrives (up to
  // 500 ms late) after a short pause between sentences, and must be recognised as echo when the
  // next sentence starts.
  if (echo_guard_) {
    echo_.PushSent(bot_frame, bot_samples_);
    // Once the canceller is trusted, what its output still holds of the echo is what can pass
    // for the caller (see kMinOverResidualDb).
    echo_.PushCaller(cancelled != nullptr && trust_output_ ? cancelled->output : capture, capture_samples_);
  }
  frames_since_sent_ = bot_frame != nullptr ? 0 : std::min(frames_since_sent_ + 1, reach_frames_);
  const bool voiced = speech && snr_db >= kMinSnrDb;
  const float level_db = 10.0f * std::log10(capture_energy + 1.0f);
  if (bot_frame == nullptr) {
    // The caller's own turn: learn their speech level.
    if (voiced) {
      caller_level_db_ = caller_level_frames_ == 0 ? level_db : caller_level_db_ + kCallerLevelRate * (level_db - caller_level_db_);
      ++caller_level_frames_;
    }
    barge_in_run_ = Run{};
    if (!echo_in_reach()) {
      onset_run_ = Run{};
      return false;
    }
  }
  // With the canceller, both energies are read by the double-talk test and by what it learns.
  std::optional<CancelledFrame> frame;
  if (cancelled != nullptr) {
    frame.emplace(CancelledFrame{*cancelled, capture_energy, EnergyPerSample(cancelled->output, capture_samples_)});
  }
  const Heard heard = Hear(level_db, voiced, snr_db, frame ? &*frame : nullptr);
  if (frame) LearnCancellation(*frame, heard.counts);
  onset_run_.Frame(heard, frame_ms_, min_speech_ms_);
  return bot_frame != nullptr && barge_in_run_.Frame(heard, frame_ms_, min_speech_ms_);
}

}  // namespace parley

#include "media/jitter_playout.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "dsp/lpc.h"
#include "media/sample_ring.h"

namespace parley {
namespace {
// Concealment is faded into the background noise from 20 ms on and is all noise after 80 ms: by
// then every decoder's own concealment has faded (G.711 Appendix I: silent after 60 ms).
constexpr int kNoiseFadeStartMs = 20;
constexpr int kNoiseFadeMs = 60;
// The background estimate starts at -60 dBov, rises at most 1 dB per second between quiet
// moments (minimum statistics), and is capped at -40 dBov: a long loss, even early in a call,
// must fade into a hiss, not into a roar.
constexpr double kBackgroundRiseDbPerS = 1.0;
constexpr float kInitialBackgroundRms = 33.0f;
constexpr float kMaxBackgroundRms = 330.0f;
constexpr float kMinBackgroundRms = 1.0f;
// Concealment is also faded into noise shaped like the audio before the loss and as loud (its LPC
// envelope, as NetEq's expand filters its noise), falling this fast from kNoiseFadeStartMs: a
// vowel lost for 60 ms then still sounds like one fading, not like the line's hiss, and after
// 100 ms it is 24 dB down. Measured on the bench's log-spectral distance (20 ms burst-loss trace,
// against the whole-frame buffer's 0.395 dB): 6 dB per 10 ms 0.36, 3 dB 0.32, never falling 0.25
// (a loud hiss through every long loss and into every pause that starts like one).
constexpr double kSpeechNoiseDecayDbPer10Ms = 3.0;
// The fades' gains move in steps this long (a step per call was up to 20 ms of one gain).
constexpr int kNoiseStepUs = 2500;
// After a concealment of lost packets of kDecoderSilentMs or more, whose decoder concealment had
// gone silent (G.711 Appendix I at 60 ms) and so has nothing to cross-fade from, the next packet
// fades in over this: starting mid-vowel at full level from the faded noise was a click after
// each long loss (the bench's 20 ms burst-loss trace's one click a minute, reorder/burst loss's
// five, in both buffers). Measured on the burst-loss trace (log-spectral distance summed over its
// 2,682 speech blocks: 865.05 without the fade), fading every packet after such a run: 1.25 ms
// 860.08, 2.5 ms 867.32, 5 ms 889.91, 10 ms 915.92, each with no click; fading the noises out over
// the packet's start as well, +10.64 and the click kept. A talkspurt after a pause is not faded:
// the Asterisk restart trace's LSD rose 0.027 -> 0.034 dB (the whole-frame buffer's 0.029).
constexpr int kRejoinFadeUs = 2500;
constexpr int kDecoderSilentMs = 60;

float Rms(const int16_t* pcm, size_t samples) {
  double energy = 0;
  for (size_t i = 0; i < samples; ++i) energy += static_cast<double>(pcm[i]) * pcm[i];
  return samples > 0 ? static_cast<float>(std::sqrt(energy / static_cast<double>(samples))) : 0.0f;
}
}  // namespace

JitterPlayout::JitterPlayout(int clock_rate_hz, int pcm_rate_hz, size_t frame_samples, size_t max_decode_samples,
                             bool time_stretch, bool merge)
    : clock_rate_hz_(clock_rate_hz),
      pcm_rate_hz_(pcm_rate_hz),
      frame_samples_(frame_samples),
      max_decode_samples_(max_decode_samples),
      stretch_(StretchesAt(pcm_rate_hz, time_stretch)),
      merge_(stretch_ && merge),
      time_stretch_(TimeStretch::Supports(pcm_rate_hz) ? pcm_rate_hz : 8000),
      history_(time_stretch_.history_needed()),
      stream_(history_ + max_decode_samples),
      stretched_(max_decode_samples + time_stretch_.max_insert()),
      fifo_(frame_samples + max_decode_samples + time_stretch_.max_insert()),
      background_rms_(kInitialBackgroundRms) {
  // The expand's noise is fitted to the Lpc::kWindowSamples of output in front of the work area.
  if (history_ < Lpc::kWindowSamples) throw std::logic_error("jitter playout history shorter than the LPC window");
}

size_t JitterPlayout::Render(const PlayoutDecision& decision, FrameDecoder& decoder, int16_t* x) {
  // Every ratio of PCM rate to RTP clock here is a whole number or its inverse, and Opus
  // durations come in 2.5 ms steps: this conversion is exact.
  const size_t samples = std::min(
      max_decode_samples_, std::max<size_t>(1, static_cast<size_t>(decision.duration_ts * pcm_rate_hz_ / clock_rate_hz_)));
  bool decoded = true;
  bool concealed = false;
  const bool after_concealment = concealing_;
  concealing_ = false;
  switch (decision.kind) {
    case PlayoutKind::kNormal:
      decoded = decoder.Decode(decision.payload, decision.length, x, samples);
      break;
    case PlayoutKind::kDtx:
      decoded = decoder.Decode(decision.payload, decision.length, x, samples);
      codec_noise_active_ = true;
      break;
    case PlayoutKind::kConcealWithFec:
      decoded = decoder.DecodeFec(decision.payload, decision.length, x, samples);
      break;
    case PlayoutKind::kConceal:
      decoder.Conceal(x, samples);
      concealed = true;
      break;
    case PlayoutKind::kComfortNoise:
      // A malformed CN payload keeps the noise it had (RFC 3389 section 4: the last parameters
      // hold until new ones arrive).
      comfort_noise_.SetFromPayload(decision.payload, decision.length);
      comfort_noise_active_ = true;
      [[fallthrough]];
    case PlayoutKind::kSilence:
      if (codec_noise_active_) {
        // RFC 6716 section 2.1.9: in a DTX pause the decoder runs on as if packets were lost, and
        // libopus's concealment becomes its comfort noise. Silence instead cut the talkspurt's
        // end to zero and started the next one from zero against a decoder that had not run:
        // both were clicks.
        decoder.Conceal(x, samples);
        operations_.comfort_noise_ms += SamplesToMs(samples);
        break;
      }
      std::memset(x, 0, samples * sizeof(int16_t));
      if (comfort_noise_active_) {
        comfort_noise_.Add(x, samples, 1.0f);
        operations_.comfort_noise_ms += SamplesToMs(samples);
      }
      break;
  }
  if (!decoded) {
    ++decode_errors_;
    decoder.Conceal(x, samples);
    concealed = true;
  }
  if (concealed) {
    concealing_ = true;
    if (expanded_samples_ == 0) ++operations_.expand;
    operations_.expand_ms += SamplesToMs(samples);
    if (stretch_) {
      if (expanded_samples_ == 0) speech_noise_.SetFromAudio(x - Lpc::kWindowSamples);
      // Fade into the background: gain 0 at kNoiseFadeStartMs of concealment, 1 at + kNoiseFadeMs.
      const size_t start = MsToSamples(kNoiseFadeStartMs);
      const size_t step = UsToSamples(kNoiseStepUs);
      for (size_t done = 0; done < samples;) {
        const size_t at = expanded_samples_ + done;
        const size_t n = std::min(samples - done, at < start ? start - at : step);
        AddExpandNoise(x + done, n, at);
        done += n;
      }
    }
    expanded_samples_ += samples;
    return samples;
  }
  const bool audio = decision.kind == PlayoutKind::kNormal || decision.kind == PlayoutKind::kConcealWithFec;
  if (!audio) return samples;
  comfort_noise_active_ = false;
  codec_noise_active_ = false;
  if (expanded_samples_ > 0) {
    // Straight after concealing lost packets: a talkspurt starting after a pause (silence, or the
    // concealment that a pause starts with) starts as it was sent.
    if (stretch_ && !merge_ && decision.after_loss && after_concealment && expanded_samples_ >= MsToSamples(kDecoderSilentMs)) {
      const size_t fade = std::min(samples, UsToSamples(kRejoinFadeUs));
      for (size_t i = 0; i < fade; ++i) {
        const float weight = static_cast<float>(i + 1) / static_cast<float>(fade + 1);
        x[i] = static_cast<int16_t>(std::lrint(weight * x[i]));
      }
    }
    expanded_samples_ = 0;
    if (merge_) {
      time_stretch_.Merge(x, history_, samples);
      ++operations_.merge;
    }
  }
  const float rms = std::max(kMinBackgroundRms, Rms(x, samples));
  const double rise = std::pow(10.0, kBackgroundRiseDbPerS * static_cast<double>(samples) / pcm_rate_hz_ / 20.0);
  background_rms_ = std::min(rms, static_cast<float>(background_rms_ * rise));
  background_noise_.SetLevelRms(std::min(background_rms_, kMaxBackgroundRms));
  return samples;
}

void JitterPlayout::AddExpandNoise(int16_t* x, size_t samples, size_t at) {
  const size_t start = MsToSamples(kNoiseFadeStartMs);
  if (at < start) return;
  // Gain 0 at kNoiseFadeStartMs of concealment, 1 at + kNoiseFadeMs (reached by the step's end);
  // the speech's noise falls from its level.
  const float ramp = std::min(1.0f, static_cast<float>(at + samples - start) / static_cast<float>(MsToSamples(kNoiseFadeMs)));
  const double elapsed_10ms = static_cast<double>(at + samples / 2 - start) * 100.0 / pcm_rate_hz_;
  const auto decay = static_cast<float>(std::pow(10.0, -kSpeechNoiseDecayDbPer10Ms * elapsed_10ms / 20.0));
  background_noise_.Add(x, samples, ramp);
  speech_noise_.Add(x, samples, ramp * decay);
}

void JitterPlayout::Emit(const int16_t* pcm, size_t samples) {
  RingWrite(fifo_, (fifo_head_ + fifo_samples_) % fifo_.size(), pcm, samples);
  fifo_samples_ += samples;
  // The last history_ samples of output stay in front of the work area.
  if (samples >= history_) {
    std::memmove(stream_.data(), pcm + samples - history_, history_ * sizeof(int16_t));
  } else {
    std::memmove(stream_.data(), stream_.data() + samples, (history_ - samples) * sizeof(int16_t));
    std::memmove(stream_.data() + history_ - samples, pcm, samples * sizeof(int16_t));
  }
}

void JitterPlayout::Pull(JitterBuffer& jitter, FrameDecoder& decoder, int64_t now_us, int16_t* frame) {
  while (fifo_samples_ < frame_samples_) {
    const auto buffered_ts = static_cast<int64_t>(fifo_samples_) * clock_rate_hz_ / pcm_rate_hz_;
    const PlayoutDecision decision = jitter.Next(now_us, buffered_ts);
    int16_t* x = stream_.data() + history_;
    const size_t samples = Render(decision, decoder, x);
    if (!stretch_ || decision.stretch_ts == 0 || decision.kind != PlayoutKind::kNormal) {
      Emit(x, samples);
      continue;
    }
    const auto limit = static_cast<size_t>(std::llabs(decision.stretch_ts) * pcm_rate_hz_ / clock_rate_hz_);
    if (decision.stretch_ts < 0) {
      const size_t removed = time_stretch_.Accelerate(x, history_, samples, limit, stretched_.data(), decision.quiet_only,
                                                      decision.fast);
      // Loud audio is no failure to stretch where only a pause was asked for.
      if (!decision.quiet_only) jitter.OnStretched(removed > 0);
      if (decision.quiet_only && removed > 0) jitter.OnQuietCut(removed < limit);
      if (removed > 0) {
        ++operations_.accelerate;
        operations_.accelerate_ms += SamplesToMs(removed);
      }
      Emit(stretched_.data(), samples - removed);
    } else {
      const size_t inserted = time_stretch_.PreemptiveExpand(x, history_, samples, limit, stretched_.data(), decision.urgent);
      jitter.OnStretched(inserted > 0);
      if (inserted > 0) {
        ++operations_.preemptive_expand;
        operations_.preemptive_expand_ms += SamplesToMs(inserted);
      }
      Emit(stretched_.data(), samples + inserted);
    }
  }
  RingRead(fifo_, fifo_head_, frame, frame_samples_);
  fifo_head_ = (fifo_head_ + frame_samples_) % fifo_.size();
  fifo_samples_ -= frame_samples_;
}

void JitterPlayout::AddStats(JitterBufferStats* stats) const {
  stats->accelerate += operations_.accelerate;
  stats->accelerate_ms += operations_.accelerate_ms;
  stats->preemptive_expand += operations_.preemptive_expand;
  stats->preemptive_expand_ms += operations_.preemptive_expand_ms;
  stats->expand += operations_.expand;
  stats->expand_ms += operations_.expand_ms;
  stats->merge += operations_.merge;
  stats->comfort_noise_ms += operations_.comfort_noise_ms;
}

}  // namespace parley

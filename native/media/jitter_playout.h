// The jitter buffer's audio side (NetEq's operations on decoded audio): runs what JitterBuffer
// decides through the decoder into a FIFO of decoded samples at the codec's PCM rate, and hands
// out 20 ms frames from it on the leg's continuous clock. Packets of any duration feed it; a 60 ms
// packet fills three frames, a 10 ms packet half of one.
//
// With time stretching on (the default), on the decoded audio:
// - accelerate / preemptive expand (TimeStretch): a due packet is shortened or lengthened by
//   pitch periods as the buffer asks, instead of a whole packet dropped or a frame inserted;
// - expand: the decoder's concealment, faded once a loss lasts into noise shaped like the speech
//   before it and falling from its level, and noise at the call's background level (a decoder's
//   concealment fades to silence within 60 ms: G.711 Appendix I), and the packet after a loss
//   that long faded in;
// - merge: the first packet after concealment is cross-faded in from the concealed audio's last
//   pitch period, for decoders whose concealment does not do that itself (G.711 Appendix I and
//   libopus do; L16's does not).
// RFC 3389 comfort noise plays in both modes: a CN packet sets the noise, and the pause after it
// is filled with that noise until speech resumes. After an Opus DTX packet the pause is filled by
// the decoder's concealment, which libopus turns into its own comfort noise.
//
// The last output (history) is kept linear in front of the work area, so the stretch can look
// back without copying. Nothing allocates after construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "codec/frame_decoder.h"
#include "dsp/comfort_noise.h"
#include "dsp/time_stretch.h"
#include "media/jitter_buffer.h"

namespace parley {

class JitterPlayout {
 public:
  // `time_stretch` is honoured when TimeStretch supports `pcm_rate_hz` (JitterBufferConfig must
  // then say the same: see StretchesAt). `merge`: the decoder does not merge after concealment.
  JitterPlayout(int clock_rate_hz, int pcm_rate_hz, size_t frame_samples, size_t max_decode_samples, bool time_stretch,
                bool merge);
  static bool StretchesAt(int pcm_rate_hz, bool time_stretch) { return time_stretch && TimeStretch::Supports(pcm_rate_hz); }

  // Writes the next frame (frame_samples at the PCM rate) for the tick at `now_us`.
  void Pull(JitterBuffer& jitter, FrameDecoder& decoder, int64_t now_us, int16_t* frame);
  // Adds this side's operation counts and durations to `stats`.
  void AddStats(JitterBufferStats* stats) const;
  uint64_t decode_errors() const { return decode_errors_; }

 private:
  // Decodes (or conceals) one decision into the work area; returns its samples.
  size_t Render(const PlayoutDecision& decision, FrameDecoder& decoder, int16_t* x);
  void Emit(const int16_t* pcm, size_t samples);
  // Adds the noises a concealment fades into, over `samples` from `at` samples into the run.
  void AddExpandNoise(int16_t* x, size_t samples, size_t at);
  size_t MsToSamples(int ms) const { return static_cast<size_t>(pcm_rate_hz_) * static_cast<size_t>(ms) / 1000; }
  size_t UsToSamples(int us) const { return static_cast<size_t>(pcm_rate_hz_) * static_cast<size_t>(us) / 1'000'000; }
  double SamplesToMs(size_t samples) const { return static_cast<double>(samples) * 1000.0 / pcm_rate_hz_; }

  int clock_rate_hz_;
  int pcm_rate_hz_;
  size_t frame_samples_;
  size_t max_decode_samples_;
  bool stretch_;
  bool merge_;
  TimeStretch time_stretch_;
  ComfortNoise comfort_noise_;     // from RFC 3389 CN packets
  ComfortNoise background_noise_;  // at the call's background level, for long concealment
  ComfortNoise speech_noise_;      // shaped like the audio before the concealment run, and as loud
  bool comfort_noise_active_ = false;
  bool codec_noise_active_ = false;  // after an Opus DTX packet: the decoder's own comfort noise

  size_t history_;                 // samples of past output in front of the work area
  std::vector<int16_t> stream_;    // [history | work area]
  std::vector<int16_t> stretched_; // a stretch's output
  std::vector<int16_t> fifo_;      // a ring of output not yet handed out
  size_t fifo_head_ = 0;
  size_t fifo_samples_ = 0;

  size_t expanded_samples_ = 0;    // of the concealment run in progress
  bool concealing_ = false;        // the last output rendered was concealment
  float background_rms_;           // slow-rising minimum of the decoded audio's RMS

  uint64_t decode_errors_ = 0;
  JitterBufferStats operations_;   // only the operation fields
};

}  // namespace parley

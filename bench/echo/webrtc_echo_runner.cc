/* WebRTC's echo canceller from Debian's webrtc-audio-processing 0.3 (the AEC of that release,
 * with its extended filter and delay-agnostic mode, so it estimates the echo delay itself as
 * Parley's canceller does), over one trace, in the library's 10 ms frames.
 * Usage: webrtc_echo_runner <trace> <output> */
#include <cstring>
#include <memory>

#include <webrtc/modules/audio_processing/include/audio_processing.h>
#include <webrtc/modules/interface/module_common_types.h>

extern "C" {
#include "echo_trace_io.h"
}

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  EchoTrace trace;
  if (echo_trace_read(argv[1], &trace) != 0) return 1;
  webrtc::Config config;
  config.Set<webrtc::ExtendedFilter>(new webrtc::ExtendedFilter(true));
  config.Set<webrtc::DelayAgnostic>(new webrtc::DelayAgnostic(true));
  std::unique_ptr<webrtc::AudioProcessing> apm(webrtc::AudioProcessing::Create(config));
  apm->echo_cancellation()->enable_drift_compensation(false);
  apm->echo_cancellation()->Enable(true);
  const size_t block = static_cast<size_t>(trace.rate_hz / 100);
  webrtc::AudioFrame reverse;
  webrtc::AudioFrame capture;
  for (webrtc::AudioFrame* frame : {&reverse, &capture}) {
    frame->sample_rate_hz_ = trace.rate_hz;
    frame->num_channels_ = 1;
    frame->samples_per_channel_ = block;
  }
  const size_t samples = static_cast<size_t>(trace.frame_samples) * static_cast<size_t>(trace.frames);
  const double started = echo_now_us();
  for (size_t at = 0; at + block <= samples; at += block) {
    std::memcpy(reverse.data_, trace.sent + at, block * sizeof(int16_t));
    apm->ProcessReverseStream(&reverse);
    std::memcpy(capture.data_, trace.capture + at, block * sizeof(int16_t));
    apm->set_stream_delay_ms(0);
    apm->ProcessStream(&capture);
    std::memcpy(trace.output + at, capture.data_, block * sizeof(int16_t));
  }
  const double elapsed = echo_now_us() - started;
  if (echo_trace_write(argv[2], &trace) != 0) return 1;
  std::printf("{\"us_per_frame\": %.3f}\n", elapsed / trace.frames);
  return 0;
}

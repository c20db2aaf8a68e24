/* Speex's MDF echo canceller (libspeexdsp) with its residual echo suppressor (the preprocessor's
 * echo suppression; denoise off, as Parley's canceller does not denoise), over one trace.
 * Speex has no delay estimator: its filter must span the whole delay range plus the tail.
 * Usage: speex_echo_runner <trace> <output> <filter_ms> */
#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>

#include "echo_trace_io.h"

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  EchoTrace trace;
  if (echo_trace_read(argv[1], &trace) != 0) return 1;
  const int filter_samples = trace.rate_hz / 1000 * atoi(argv[3]);
  SpeexEchoState* echo = speex_echo_state_init(trace.frame_samples, filter_samples);
  speex_echo_ctl(echo, SPEEX_ECHO_SET_SAMPLING_RATE, &trace.rate_hz);
  SpeexPreprocessState* pre = speex_preprocess_state_init(trace.frame_samples, trace.rate_hz);
  int off = 0;
  speex_preprocess_ctl(pre, SPEEX_PREPROCESS_SET_DENOISE, &off);
  speex_preprocess_ctl(pre, SPEEX_PREPROCESS_SET_ECHO_STATE, echo);
  const double started = echo_now_us();
  for (int f = 0; f < trace.frames; ++f) {
    const size_t at = (size_t)f * (size_t)trace.frame_samples;
    speex_echo_cancellation(echo, trace.capture + at, trace.sent + at, trace.output + at);
    speex_preprocess_run(pre, trace.output + at);
  }
  const double elapsed = echo_now_us() - started;
  if (echo_trace_write(argv[2], &trace) != 0) return 1;
  printf("{\"us_per_frame\": %.3f}\n", elapsed / trace.frames);
  speex_preprocess_state_destroy(pre);
  speex_echo_state_destroy(echo);
  return 0;
}

/* The trace format the echo bench hands its reference runners: a header of three int32 (sample
 * rate, samples per frame, frame count), then the captured line and the sent audio, each
 * rate * frames int16 samples. The runner writes the cleaned capture (same length, int16) to the
 * output file and prints {"us_per_frame": ...} (CPU time of the processing only) on stdout. */
#ifndef PARLEY_BENCH_ECHO_TRACE_IO_H
#define PARLEY_BENCH_ECHO_TRACE_IO_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct {
  int32_t rate_hz;
  int32_t frame_samples;
  int32_t frames;
  int16_t* capture;
  int16_t* sent;
  int16_t* output;
} EchoTrace;

static int echo_trace_read(const char* path, EchoTrace* trace) {
  FILE* file = fopen(path, "rb");
  if (!file) return -1;
  int32_t header[3];
  if (fread(header, sizeof header, 1, file) != 1) return -1;
  trace->rate_hz = header[0];
  trace->frame_samples = header[1];
  trace->frames = header[2];
  const size_t samples = (size_t)header[1] * (size_t)header[2];
  trace->capture = (int16_t*)malloc(samples * sizeof(int16_t));
  trace->sent = (int16_t*)malloc(samples * sizeof(int16_t));
  trace->output = (int16_t*)calloc(samples, sizeof(int16_t));
  if (fread(trace->capture, sizeof(int16_t), samples, file) != samples) return -1;
  if (fread(trace->sent, sizeof(int16_t), samples, file) != samples) return -1;
  fclose(file);
  return 0;
}

static int echo_trace_write(const char* path, const EchoTrace* trace) {
  FILE* file = fopen(path, "wb");
  if (!file) return -1;
  const size_t samples = (size_t)trace->frame_samples * (size_t)trace->frames;
  if (fwrite(trace->output, sizeof(int16_t), samples, file) != samples) return -1;
  return fclose(file);
}

/* CPU time of this process: on a shared machine, wall time would count other processes' turns. */
static double echo_now_us(void) {
  struct timespec now;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return (double)now.tv_sec * 1e6 + (double)now.tv_nsec / 1e3;
}

#endif

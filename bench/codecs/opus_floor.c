/*
 * The physical floor for Opus in `npm run bench`: libopus called straight from C, no runtime in
 * between. Encodes and decodes every 20 ms frame of a speech file (48 kHz mono s16le) with the
 * settings of Parley's encoder (native/codec/opus_encoder.cc: VOIP, voice signal, 32 kbit/s,
 * in-band FEC at 10 % expected loss, no DTX) and the complexity asked for, `passes` times over.
 * The PCM rate (48 kHz unless given) is the one libopus codes at: a node's Opus leg codes at its
 * bot's rate (16 kHz by default, RFC 7587 keeps only the RTP clock at 48 kHz).
 *
 * With a packets file (the load generator's frames: each packet a 16-bit big-endian length, then
 * its bytes), the decoder decodes those packets, in turn, instead of the encoder's own: a node's
 * Opus leg encodes at its bot's rate but decodes whatever its callers send (the load bench's
 * callers code 48 kHz speech, hybrid fullband packets that cost more to decode than the SILK-only
 * wideband ones a 16 kHz encoder makes).
 *
 * usage: opus_floor <pcm_file> <complexity> <passes> [rate_hz [packets_file]]
 * Prints one JSON line: {"frames":..,"us_per_frame":..,"best_pass_us_per_frame":..,"first_pass_bytes":..}
 * (the fastest pass is the least disturbed one on a shared machine).
 */
#include <opus.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define MAX_FRAME 960
#define MAX_PACKET 1275 /* RFC 6716 section 3.4 */
#define MAX_PACKETS 100000

typedef struct {
  const unsigned char* data;
  int length;
} packet_view;

/* Reads a length-prefixed packets file into `file_bytes` and views of its packets; 0 on error. */
static long read_packets(const char* path, unsigned char** file_bytes, packet_view* views) {
  FILE* f = fopen(path, "rb");
  if (!f) { perror(path); return 0; }
  fseek(f, 0, SEEK_END);
  const long bytes = ftell(f);
  fseek(f, 0, SEEK_SET);
  *file_bytes = malloc(bytes > 0 ? (size_t)bytes : 1);
  if (bytes <= 0 || !*file_bytes || fread(*file_bytes, 1, (size_t)bytes, f) != (size_t)bytes) { fclose(f); return 0; }
  fclose(f);
  long count = 0;
  for (long at = 0; at < bytes;) {
    if (bytes - at < 2 || count == MAX_PACKETS) return 0;
    const int length = ((*file_bytes)[at] << 8) | (*file_bytes)[at + 1];
    at += 2;
    if (length < 1 || length > MAX_PACKET || length > bytes - at) return 0;
    views[count].data = *file_bytes + at;
    views[count].length = length;
    count++;
    at += length;
  }
  return count;
}

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

int main(int argc, char** argv) {
  if (argc < 4 || argc > 6) { fprintf(stderr, "usage: opus_floor <pcm_file> <complexity> <passes> [rate_hz [packets_file]]\n"); return 2; }
  const int rate_hz = argc >= 5 ? atoi(argv[4]) : 48000;
  const int frame_samples = rate_hz / 50;
  if (frame_samples <= 0 || frame_samples > MAX_FRAME) { fprintf(stderr, "bad rate\n"); return 2; }
  FILE* f = fopen(argv[1], "rb");
  if (!f) { perror(argv[1]); return 2; }
  fseek(f, 0, SEEK_END);
  const long bytes = ftell(f);
  fseek(f, 0, SEEK_SET);
  const long frames = bytes / (long)(frame_samples * sizeof(int16_t));
  int16_t* pcm = malloc((size_t)frames * frame_samples * sizeof(int16_t));
  if (frames == 0 || !pcm || fread(pcm, sizeof(int16_t) * frame_samples, (size_t)frames, f) != (size_t)frames) { fprintf(stderr, "short pcm file\n"); return 2; }
  fclose(f);
  static packet_view callers[MAX_PACKETS];
  unsigned char* packets_file = NULL;
  const long caller_packets = argc == 6 ? read_packets(argv[5], &packets_file, callers) : 0;
  if (argc == 6 && caller_packets == 0) { fprintf(stderr, "bad packets file\n"); return 2; }
  const int complexity = atoi(argv[2]);
  const int passes = atoi(argv[3]);

  int error = 0;
  OpusEncoder* enc = opus_encoder_create(rate_hz, 1, OPUS_APPLICATION_VOIP, &error);
  OpusDecoder* dec = opus_decoder_create(rate_hz, 1, &error);
  if (!enc || !dec) { fprintf(stderr, "opus: %s\n", opus_strerror(error)); return 2; }
  opus_encoder_ctl(enc, OPUS_SET_BITRATE(32000));
  opus_encoder_ctl(enc, OPUS_SET_COMPLEXITY(complexity));
  opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC(1));
  opus_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC(10));
  opus_encoder_ctl(enc, OPUS_SET_DTX(0));
  opus_encoder_ctl(enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));

  unsigned char packet[1500];
  int16_t out[MAX_FRAME];
  long first_pass_bytes = 0, checksum = 0;
  double best_pass_us = 1e300;
  const double start = now_us();
  for (int pass = 0; pass < passes; pass++) {
    const double pass_start = now_us();
    for (long i = 0; i < frames; i++) {
      const int len = opus_encode(enc, pcm + i * frame_samples, frame_samples, packet, sizeof(packet));
      if (len < 0) { fprintf(stderr, "encode: %s\n", opus_strerror(len)); return 1; }
      const unsigned char* decoded = caller_packets ? callers[i % caller_packets].data : packet;
      const int decoded_len = caller_packets ? callers[i % caller_packets].length : len;
      if (opus_decode(dec, decoded, decoded_len, out, frame_samples, 0) != frame_samples) { fprintf(stderr, "decode failed\n"); return 1; }
      if (pass == 0) first_pass_bytes += len;
      checksum += out[i % frame_samples];
    }
    const double pass_us = now_us() - pass_start;
    if (pass_us < best_pass_us) best_pass_us = pass_us;
  }
  const double elapsed = now_us() - start;
  printf("{\"frames\":%ld,\"us_per_frame\":%.3f,\"best_pass_us_per_frame\":%.3f,\"first_pass_bytes\":%ld,\"checksum\":%ld}\n",
         frames * passes, elapsed / (double)(frames * passes), best_pass_us / (double)frames, first_pass_bytes, checksum);
  opus_encoder_destroy(enc);
  opus_decoder_destroy(dec);
  free(packets_file);
  free(pcm);
  return 0;
}

/* G.722 (64 kbit/s) for the ARI double through spandsp, an implementation independent of
 * Parley's: `g722-spandsp encode` reads PCM16 mono 16 kHz (host order) on stdin and writes
 * G.722 bytes; `g722-spandsp decode` does the reverse. Built on demand by g722-spandsp.ts. */
#include <spandsp.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  int16_t pcm[320];
  uint8_t code[160];
  if (strcmp(argv[1], "encode") == 0) {
    g722_encode_state_t *state = g722_encode_init(NULL, 64000, 0);
    size_t n;
    while ((n = fread(pcm, sizeof(int16_t), 320, stdin)) > 0) {
      int bytes = g722_encode(state, code, pcm, (int)n);
      fwrite(code, 1, (size_t)bytes, stdout);
    }
    g722_encode_free(state);
    return 0;
  }
  if (strcmp(argv[1], "decode") == 0) {
    g722_decode_state_t *state = g722_decode_init(NULL, 64000, 0);
    size_t n;
    while ((n = fread(code, 1, 160, stdin)) > 0) {
      int samples = g722_decode(state, pcm, code, (int)n);
      fwrite(pcm, sizeof(int16_t), (size_t)samples, stdout);
    }
    g722_decode_free(state);
    return 0;
  }
  return 2;
}

/* Reference G.722 for the tests: Debian's libspandsp, an implementation independent of Parley's.
 * Usage: spandsp-g722 encode|decode < input > output
 *   encode: PCM16 little-endian at 16 kHz in, G.722 octets out
 *   decode: G.722 octets in, PCM16 little-endian at 16 kHz out
 * 64 kbit/s, unpacked octets, 16 kHz PCM (no G722_SAMPLE_RATE_8000 / G722_PACKED): the mode RTP
 * carries (RFC 3551 section 4.5.2). Built by test/support/spandsp-g722.ts at test time, never shipped;
 * used by the G.722 unit tests and by the ARI double's g722 format. */
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <spandsp.h>

#define CHUNK 320

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  int16_t pcm[CHUNK * 2];
  uint8_t codes[CHUNK];
  if (strcmp(argv[1], "encode") == 0) {
    g722_encode_state_t *state = g722_encode_init(NULL, 64000, 0);
    size_t n;
    while ((n = fread(pcm, sizeof(int16_t), CHUNK * 2, stdin)) > 0) {
      int out = g722_encode(state, codes, pcm, (int) n);
      fwrite(codes, 1, (size_t) out, stdout);
    }
    g722_encode_free(state);
    return 0;
  }
  if (strcmp(argv[1], "decode") == 0) {
    g722_decode_state_t *state = g722_decode_init(NULL, 64000, 0);
    size_t n;
    while ((n = fread(codes, 1, CHUNK, stdin)) > 0) {
      int out = g722_decode(state, pcm, codes, (int) n);
      fwrite(pcm, sizeof(int16_t), (size_t) out, stdout);
    }
    g722_decode_free(state);
    return 0;
  }
  return 2;
}

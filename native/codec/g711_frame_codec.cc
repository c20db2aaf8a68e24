// G.711 frame codecs; the decoder conceals lost frames with the Appendix I PLC.
#include "codec/g711.h"
#include "codec/g711_frame_codec.h"

namespace parley {

int G711FrameEncoder::Encode(const int16_t* pcm, size_t samples, uint8_t* out, size_t capacity) {
  if (samples > capacity) return -1;
  if (ulaw_) {
    g711::EncodeUlaw(pcm, samples, out);
  } else {
    g711::EncodeAlaw(pcm, samples, out);
  }
  return static_cast<int>(samples);
}

bool G711FrameDecoder::Decode(const uint8_t* payload, size_t length, int16_t* out, size_t samples) {
  if (length != samples) return false;
  if (ulaw_) {
    g711::DecodeUlaw(payload, length, out);
  } else {
    g711::DecodeAlaw(payload, length, out);
  }
  plc_.OnGoodFrame(out, samples);
  return true;
}

void G711FrameDecoder::Conceal(int16_t* out, size_t samples) { plc_.Conceal(out, samples); }

}  // namespace parley

#include "codec/codec_table.h"

#include <strings.h>

#include <iterator>

namespace parley {
namespace {

// Payload types: PCMU 0 and PCMA 8 are static (RFC 3551 section 6). Opus has no static type
// (RFC 7587 section 7: dynamic, 48 kHz RTP clock whatever the audio bandwidth); 111 is the common
// browser default. L16 mono is static only at 44.1 kHz (PT 11), so our 8/16/48 kHz L16 are dynamic
// and big-endian on the wire (RFC 3551 section 4.5.11). G.722 is static PT 9 and samples at 16 kHz,
// but its RTP clock is 8000 Hz (RFC 3551 section 4.5.2: an error in RFC 1890 kept for
// compatibility), so its timestamps advance 160 per 20 ms frame of 320 samples.
constexpr CodecInfo kCodecs[] = {
    {CodecId::kPcmu, "PCMU", 0, 8000, 8000, 160},
    {CodecId::kPcma, "PCMA", 8, 8000, 8000, 160},
    {CodecId::kG722, "G722", 9, 8000, 16000, 160},
    {CodecId::kOpus, "opus", 111, 48000, 48000, 0},
    {CodecId::kL16_8k, "L16/8000", 96, 8000, 8000, 320},
    {CodecId::kL16_16k, "L16/16000", 97, 16000, 16000, 640},
    {CodecId::kL16_48k, "L16/48000", 98, 48000, 48000, 1920},
};

}  // namespace

const CodecInfo& CodecTable::Get(CodecId id) {
  for (const CodecInfo& codec : kCodecs) {
    if (codec.id == id) return codec;
  }
  return kCodecs[0];  // unreachable: every CodecId has a row
}

const CodecInfo* CodecTable::FindByName(const char* name) {
  for (const CodecInfo& codec : kCodecs) {
    if (strcasecmp(codec.name, name) == 0) return &codec;
  }
  return nullptr;
}

const CodecInfo* CodecTable::begin() { return std::begin(kCodecs); }
const CodecInfo* CodecTable::end() { return std::end(kCodecs); }

}  // namespace parley

// Codecs as data (one row per codec, rtpengine style): the pipeline for a leg is chosen once from
// its row, never per packet.
#pragma once

#include <cstddef>

namespace parley {

enum class CodecId { kPcmu, kPcma, kG722, kOpus, kL16_8k, kL16_16k, kL16_48k };

struct CodecInfo {
  CodecId id;
  const char* name;          // as in SDP rtpmap / the JS options
  int default_payload_type;  // RFC 3551 static types; dynamic ones are Parley's defaults
  int clock_rate_hz;         // RTP timestamp clock (not always the sample rate: see G722)
  int sample_rate_hz;        // PCM rate the codec encodes and decodes
  int bytes_per_frame;       // per 20 ms frame; 0 for variable-rate codecs
};

class CodecTable {
 public:
  static const CodecInfo& Get(CodecId id);
  // Case-insensitive; nullptr for an unknown name.
  static const CodecInfo* FindByName(const char* name);
  static const CodecInfo* begin();
  static const CodecInfo* end();
};

}  // namespace parley

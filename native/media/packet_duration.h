// How much media time an RTP payload carries, in RTP timestamp units: what the packet buffer keys
// its playout on instead of assuming one frame per packet. Constant-rate codecs (G.711, G.722,
// L16) carry it in their size; Opus in its TOC byte (RFC 6716 section 3.1: configuration and
// frame count), read with libopus's own parser.
#pragma once

#include <cstddef>
#include <cstdint>

#include "codec/codec_table.h"

namespace parley {

class PacketDuration {
 public:
  explicit PacketDuration(const CodecInfo& codec);

  // 0 when the payload is not a whole number of samples or not a valid Opus packet.
  int64_t Ts(const uint8_t* payload, size_t length) const;

 private:
  bool opus_;
  int64_t ts_per_frame_;     // RTP timestamp units per 20 ms
  int64_t bytes_per_frame_;  // payload bytes per 20 ms (constant-rate codecs)
};

}  // namespace parley

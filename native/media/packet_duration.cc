#include "media/packet_duration.h"

#include <opus.h>

namespace parley {

PacketDuration::PacketDuration(const CodecInfo& codec)
    : opus_(codec.id == CodecId::kOpus),
      ts_per_frame_(static_cast<int64_t>(codec.clock_rate_hz) / 50),
      bytes_per_frame_(codec.bytes_per_frame) {}

int64_t PacketDuration::Ts(const uint8_t* payload, size_t length) const {
  if (length == 0) return 0;
  if (opus_) {
    // RFC 7587 section 4.1: the RTP clock of Opus is 48 kHz whatever the coded bandwidth.
    const int samples = opus_packet_get_nb_samples(payload, static_cast<opus_int32>(length), 48000);
    return samples > 0 ? samples : 0;
  }
  const int64_t scaled = static_cast<int64_t>(length) * ts_per_frame_;
  return scaled % bytes_per_frame_ == 0 ? scaled / bytes_per_frame_ : 0;
}

}  // namespace parley

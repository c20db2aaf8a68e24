// libFuzzer harness for RtpPacket::Parse (not part of the addon: native/gyp-sources.mjs skips
// native/fuzz). `npm test` builds it with GCC's ASan + UBSan and the mutation driver
// (test/fuzz/native-fuzz.test.ts); with clang, from the repository root:
//   clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -Inative \
//     native/fuzz/rtp_packet_fuzzer.cc native/rtp/rtp_packet.cc native/rtp/rtp_status.cc -o rtp_packet_fuzzer
// Every accepted packet must describe itself inside its own bytes and survive a serialize/parse
// round trip with the same fields; anything else is a crash for the fuzzer to report.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "rtp/rtp_packet.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using parley::RtpPacket;
  using parley::RtpStatus;
  RtpPacket packet;
  if (RtpPacket::Parse(data, size, &packet) != RtpStatus::kOk) return 0;
  Check(packet.payload_offset + packet.payload_length + packet.padding_length == size);
  std::vector<parley::RtpExtensionElement> elements;
  for (size_t i = 0; i < packet.extension_count; ++i) {
    const parley::RtpExtension& extension = packet.extensions[i];
    Check(extension.offset + extension.length <= packet.payload_offset);
    elements.push_back({extension.id, data + extension.offset, static_cast<uint8_t>(extension.length)});
  }

  // Only RFC 8285 blocks are rewritten; other profiles' extensions are opaque to the serializer.
  const bool rewritable = !packet.has_extension || packet.extension_count > 0;
  if (!rewritable) return 0;
  std::vector<uint8_t> buffer(size + 4 + 2 * elements.size() + 3);
  const size_t written = packet.SerializeTo(buffer.data(), buffer.size(), data + packet.payload_offset, packet.payload_length,
                                            elements.data(), elements.size());
  if (written == 0) return 0;  // e.g. a one-byte element with id 15 that a two-byte block carried
  RtpPacket again;
  Check(RtpPacket::Parse(buffer.data(), written, &again) == RtpStatus::kOk);
  Check(again.payload_type == packet.payload_type && again.marker == packet.marker &&
        again.sequence_number == packet.sequence_number && again.timestamp == packet.timestamp &&
        again.ssrc == packet.ssrc && again.csrc_count == packet.csrc_count && again.extension_count == packet.extension_count);
  Check(again.payload_length == packet.payload_length &&
        std::memcmp(buffer.data() + again.payload_offset, data + packet.payload_offset, packet.payload_length) == 0);
  for (size_t i = 0; i < again.extension_count; ++i) {
    Check(again.extensions[i].id == packet.extensions[i].id && again.extensions[i].length == packet.extensions[i].length);
  }
  return 0;
}

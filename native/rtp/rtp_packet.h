// RTP header view (RFC 3550 section 5.1) with RFC 8285 header extensions. Parse fills a reused
// struct with offsets into the caller's buffer: no allocation, no copy.
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |V=2|P|X|  CC   |M|     PT      |       sequence number         |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                           timestamp                           |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |           synchronization source (SSRC) identifier            |
//  +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
//  |            contributing source (CSRC) identifiers             |
//  |                             ....                              |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |      defined by profile       |           length              |  (X=1, section 5.3.1)
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                        header extension                       |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include <cstddef>
#include <cstdint>

#include "rtp/rtp_status.h"

namespace parley {

struct RtpExtension {
  uint8_t id;
  uint16_t offset;  // of the element's data, from the start of the packet
  uint16_t length;
};

// An extension element to write: RFC 8285 one-byte form when every id is 1..14 and every length
// 1..16, the two-byte form otherwise.
struct RtpExtensionElement {
  uint8_t id;
  const uint8_t* data;
  uint8_t length;
};

struct RtpPacket {
  static constexpr size_t kFixedHeaderBytes = 12;
  static constexpr size_t kMaxExtensions = 16;
  static constexpr size_t kMaxPacketBytes = 0xffff;
  static constexpr uint16_t kOneByteProfile = 0xBEDE;         // RFC 8285 section 4.2
  static constexpr uint16_t kTwoByteProfileMask = 0xFFF0;     // 0x100X, section 4.3
  static constexpr uint16_t kTwoByteProfile = 0x1000;

  bool padding = false;
  bool marker = false;
  uint8_t payload_type = 0;
  uint16_t sequence_number = 0;
  uint32_t timestamp = 0;
  uint32_t ssrc = 0;
  uint8_t csrc_count = 0;
  uint32_t csrcs[15] = {0};
  bool has_extension = false;
  uint16_t extension_profile = 0;
  size_t extension_count = 0;  // RFC 8285 elements found (up to kMaxExtensions)
  RtpExtension extensions[kMaxExtensions];
  size_t payload_offset = 0;
  size_t payload_length = 0;
  uint8_t padding_length = 0;

  // Checks every length before reading. On error `out` is unspecified.
  static RtpStatus Parse(const uint8_t* data, size_t length, RtpPacket* out);

  // Writes header, CSRCs, the given extension elements and the payload. Returns the bytes
  // written, 0 when `capacity` is too small or an element cannot be encoded (id 0, or 15 in the
  // one-byte form).
  size_t SerializeTo(uint8_t* buffer, size_t capacity, const uint8_t* payload, size_t payload_bytes,
                     const RtpExtensionElement* elements = nullptr, size_t element_count = 0) const;
};

}  // namespace parley

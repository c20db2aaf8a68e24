#include "rtp/rtp_packet.h"

#include <cstring>

#include "rtp/network_order.h"

namespace parley {
namespace {

// RFC 8285 section 4.2: one-byte elements |ID(4)|len-1(4)| data; ID 0 is padding, ID 15 stops
// parsing of the rest of the block.
RtpStatus ParseOneByte(const uint8_t* packet, size_t start, size_t end, RtpPacket* out) {
  size_t i = start;
  while (i < end) {
    const uint8_t id = packet[i] >> 4;
    if (id == 0) {
      ++i;  // padding byte (its length nibble must be 0, but receivers ignore it)
      continue;
    }
    if (id == 15) break;
    const size_t length = (packet[i] & 0x0f) + 1u;
    if (i + 1 + length > end) return RtpStatus::kBadExtension;
    if (out->extension_count < RtpPacket::kMaxExtensions) {
      out->extensions[out->extension_count++] = {id, static_cast<uint16_t>(i + 1), static_cast<uint16_t>(length)};
    }
    i += 1 + length;
  }
  return RtpStatus::kOk;
}

// RFC 8285 section 4.3: two-byte elements |ID(8)|length(8)| data; ID 0 is padding.
RtpStatus ParseTwoByte(const uint8_t* packet, size_t start, size_t end, RtpPacket* out) {
  size_t i = start;
  while (i < end) {
    const uint8_t id = packet[i];
    if (id == 0) {
      ++i;
      continue;
    }
    if (i + 2 > end) return RtpStatus::kBadExtension;
    const size_t length = packet[i + 1];
    if (i + 2 + length > end) return RtpStatus::kBadExtension;
    if (out->extension_count < RtpPacket::kMaxExtensions) {
      out->extensions[out->extension_count++] = {id, static_cast<uint16_t>(i + 2), static_cast<uint16_t>(length)};
    }
    i += 2 + length;
  }
  return RtpStatus::kOk;
}

}  // namespace

RtpStatus RtpPacket::Parse(const uint8_t* data, size_t length, RtpPacket* out) {
  if (length < kFixedHeaderBytes) return RtpStatus::kTruncated;
  // Extension offsets are 16-bit; no UDP datagram is longer anyway.
  if (length > kMaxPacketBytes) return RtpStatus::kTooLong;
  if ((data[0] >> 6) != 2) return RtpStatus::kBadVersion;
  out->padding = (data[0] & 0x20) != 0;
  out->has_extension = (data[0] & 0x10) != 0;
  out->csrc_count = data[0] & 0x0f;
  out->marker = (data[1] & 0x80) != 0;
  out->payload_type = data[1] & 0x7f;
  out->sequence_number = ReadU16(data + 2);
  out->timestamp = ReadU32(data + 4);
  out->ssrc = ReadU32(data + 8);
  out->extension_count = 0;
  out->extension_profile = 0;

  size_t offset = kFixedHeaderBytes;
  if (offset + 4u * out->csrc_count > length) return RtpStatus::kCsrcOverrun;
  for (uint8_t i = 0; i < out->csrc_count; ++i, offset += 4) out->csrcs[i] = ReadU32(data + offset);

  if (out->has_extension) {
    if (offset + 4 > length) return RtpStatus::kExtensionOverrun;
    out->extension_profile = ReadU16(data + offset);
    const size_t words = ReadU16(data + offset + 2);
    const size_t start = offset + 4;
    const size_t end = start + 4 * words;
    if (end > length) return RtpStatus::kExtensionOverrun;
    RtpStatus status = RtpStatus::kOk;
    if (out->extension_profile == kOneByteProfile) {
      status = ParseOneByte(data, start, end, out);
    } else if ((out->extension_profile & kTwoByteProfileMask) == kTwoByteProfile) {
      status = ParseTwoByte(data, start, end, out);
    }  // other profiles (RFC 3550 5.3.1): skipped, their meaning is not ours
    if (status != RtpStatus::kOk) return status;
    offset = end;
  }

  size_t end = length;
  out->padding_length = 0;
  if (out->padding) {
    // Section 5.1: the last octet counts the padding, itself included.
    const uint8_t count = data[length - 1];
    if (count == 0 || offset + count > length) return RtpStatus::kBadPadding;
    out->padding_length = count;
    end -= count;
  }
  out->payload_offset = offset;
  out->payload_length = end - offset;
  return RtpStatus::kOk;
}

size_t RtpPacket::SerializeTo(uint8_t* buffer, size_t capacity, const uint8_t* payload, size_t payload_bytes,
                              const RtpExtensionElement* elements, size_t element_count) const {
  bool one_byte = true;
  size_t extension_bytes = 0;
  for (size_t i = 0; i < element_count; ++i) {
    if (elements[i].id == 0) return 0;
    if (elements[i].id > 14 || elements[i].length == 0 || elements[i].length > 16) one_byte = false;
  }
  for (size_t i = 0; i < element_count; ++i) extension_bytes += (one_byte ? 1u : 2u) + elements[i].length;
  const size_t extension_block = element_count > 0 ? 4 + ((extension_bytes + 3) & ~size_t{3}) : 0;
  const size_t header = kFixedHeaderBytes + 4u * csrc_count + extension_block;
  if (csrc_count > 15 || header + payload_bytes > capacity) return 0;

  buffer[0] = static_cast<uint8_t>(0x80 | (element_count > 0 ? 0x10 : 0) | csrc_count);
  buffer[1] = static_cast<uint8_t>((marker ? 0x80 : 0) | (payload_type & 0x7f));
  WriteU16(buffer + 2, sequence_number);
  WriteU32(buffer + 4, timestamp);
  WriteU32(buffer + 8, ssrc);
  size_t offset = kFixedHeaderBytes;
  for (uint8_t i = 0; i < csrc_count; ++i, offset += 4) WriteU32(buffer + offset, csrcs[i]);
  if (element_count > 0) {
    WriteU16(buffer + offset, one_byte ? kOneByteProfile : kTwoByteProfile);
    WriteU16(buffer + offset + 2, static_cast<uint16_t>((extension_block - 4) / 4));
    size_t at = offset + 4;
    for (size_t i = 0; i < element_count; ++i) {
      if (one_byte) {
        buffer[at++] = static_cast<uint8_t>((elements[i].id << 4) | (elements[i].length - 1));
      } else {
        buffer[at++] = elements[i].id;
        buffer[at++] = elements[i].length;
      }
      std::memcpy(buffer + at, elements[i].data, elements[i].length);
      at += elements[i].length;
    }
    std::memset(buffer + at, 0, offset + extension_block - at);  // padding to a 32-bit boundary
    offset += extension_block;
  }
  if (payload_bytes > 0) std::memcpy(buffer + offset, payload, payload_bytes);
  return offset + payload_bytes;
}

}  // namespace parley

// SRTP unprotect (RFC 3711 section 3.3) on hostile bytes, and a protect/unprotect round trip of
// fuzzed plaintext across several SSRCs and sequence jumps: the per-SSRC stream table, ROC
// estimation and replay lists must never read outside the packet or accept what they refused.
//   input: [profile byte] then records of [kind byte][u16 length][bytes]
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz/fuzz_input.h"
#include "rtp/srtp_context.h"

using parley::SrtpContext;
using parley::SrtpProfile;
using parley::SrtpStatus;
using parley::fuzz::Check;
using parley::fuzz::FuzzInput;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const uint8_t kKey[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  static const uint8_t kSalt[14] = {21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34};
  FuzzInput input(data, size);
  const SrtpProfile profile = input.U8() & 1 ? SrtpProfile::kAesCm128HmacSha1_32 : SrtpProfile::kAesCm128HmacSha1_80;
  SrtpContext sender(profile, kKey, kSalt);
  SrtpContext receiver(profile, kKey, kSalt);
  std::vector<uint8_t> packet;
  while (!input.empty()) {
    const uint8_t kind = input.U8();
    size_t length = 0;
    const uint8_t* bytes = input.Bytes(input.U16() % 1500, &length);
    packet.assign(bytes, bytes + length);
    packet.resize(length + SrtpContext::kMaxTrailerBytes);
    size_t out = 0;
    const bool rtcp = kind & 2;
    if (kind & 1) {
      // Fuzzed plaintext, protected here: what authenticates must decrypt to the same bytes.
      const SrtpStatus protect = rtcp ? sender.ProtectRtcp(packet.data(), length, packet.size(), &out)
                                      : sender.ProtectRtp(packet.data(), length, packet.size(), &out);
      if (protect != SrtpStatus::kOk) continue;
      std::vector<uint8_t> copy(packet.begin(), packet.begin() + static_cast<std::ptrdiff_t>(out));
      size_t plain = 0;
      const SrtpStatus status = rtcp ? receiver.UnprotectRtcp(copy.data(), copy.size(), &plain)
                                     : receiver.UnprotectRtp(copy.data(), copy.size(), &plain);
      if (status == SrtpStatus::kOk) Check(plain == length && std::memcmp(copy.data(), bytes, length) == 0);
    } else {
      std::vector<uint8_t> copy(bytes, bytes + length);
      size_t plain = 0;
      const SrtpStatus status = rtcp ? receiver.UnprotectRtcp(copy.data(), copy.size(), &plain)
                                     : receiver.UnprotectRtp(copy.data(), copy.size(), &plain);
      if (status == SrtpStatus::kOk) Check(plain <= length);
    }
    Check(receiver.receive_streams() <= parley::SrtpStreamTable::kMaxStreams);
  }
  return 0;
}

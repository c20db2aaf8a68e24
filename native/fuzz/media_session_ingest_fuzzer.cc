// A media session's packet ingest, the path every datagram of a call takes: source latch, SSRC
// check, SRTP, RTP parse, RTCP (with flags bit 4), jitter-buffer insert, telephone-event, then the 20 ms ticks that pull
// from the jitter buffer, decode or conceal, resample, run the VAD and send. Packets come raw or
// built from fuzzed header fields (so most of them reach the jitter buffer), from four sources,
// with arrival times and ticks that jump, as far as the addon lets a caller's clock go (2^53 µs).
//   input: [codec][bot rate][flags (bit 1: signalled remote with CN negotiated, bit 3: whole-frame
//          jitter buffer, bit 4: RTCP muxed)] then records of
//          [op][source][u16 arrival step][u32 leap if op bit 0x20][u16 length][bytes]
//          (op bit 0: built header from bytes; 0x80: step in ms, not 10 µs; 0x40: tick after it;
//          0x20: a leap in units of 2^21 µs, so a seed can jump years, up to the addon's 2^53 µs)
#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "fuzz/fuzz_input.h"
#include "media/media_session.h"
#include "media/rtp_leg.h"
#include "rtp/rtp_packet.h"

using namespace parley;
using parley::fuzz::FuzzInput;

// The latest time the addon accepts from its caller (js_args.cc: µs times within 0..2^53).
constexpr int64_t kMaxArrivalUs = int64_t{1} << 53;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const CodecId kCodecs[] = {CodecId::kPcmu, CodecId::kPcma, CodecId::kG722, CodecId::kOpus, CodecId::kL16_16k};
  static const int kRates[] = {8000, 16000, 24000, 48000};
  static SessionEventSink events;
  static const SocketAddress kSources[] = {SocketAddress{}, SocketAddress::FromHostPort("127.0.0.1", 4000),
                                           SocketAddress::FromHostPort("127.0.0.1", 4001),
                                           SocketAddress::FromHostPort("::1", 4000)};
  FuzzInput input(data, size);
  RtpLegOptions leg;
  leg.codec = kCodecs[input.U8() % 5];
  leg.payload_type = CodecTable::Get(leg.codec).default_payload_type;
  leg.telephone_event_payload_type = 101;
  MediaSessionOptions session;
  session.bot_rate_hz = kRates[input.U8() % 4];
  leg.bot_rate_hz = session.bot_rate_hz;
  const uint8_t flags = input.U8();
  leg.own_socket = false;
  leg.srtp = flags & 1;
  if (flags & 2) leg.remote = kSources[1];
  // A signalled remote is a SIP leg: one that negotiated RFC 3389 CN at its codec's clock (Opus has DTX).
  if ((flags & 2) && leg.codec != CodecId::kOpus) leg.comfort_noise_payload_type = RtpLeg::kComfortNoisePayloadType;
  leg.source.strict = flags & 4;
  leg.jitter_time_stretch = (flags & 8) == 0;
  // RTCP on the RTP port (RFC 5761): reports parsed, SRTCP unprotected, our reports written.
  leg.rtcp = flags & 16 ? RtcpMode::kMux : RtcpMode::kOff;
  leg.source.relatch_packets = 1 + (flags >> 5);
  leg.source.relatch_silence_us = 20'000;
  for (int i = 0; i < 30; ++i) leg.srtp_remote_key[i] = leg.srtp_local_key[i] = static_cast<uint8_t>(i);
  MediaSession media(1, session, std::make_unique<RtpLeg>(leg), 0);

  int64_t now_us = 0;
  std::vector<uint8_t> packet(RtpLeg::kMaxPacketBytes + 64);
  while (!input.empty()) {
    const uint8_t op = input.U8();
    const SocketAddress& from = kSources[input.U8() % 4];
    now_us += input.U16() * int64_t{op & 0x80 ? 1000 : 10};
    if (op & 0x20) now_us += int64_t{input.U32()} << 21;
    now_us = std::min(now_us, kMaxArrivalUs);
    size_t length = 0;
    const uint8_t* bytes = input.Bytes(input.U16() % (RtpLeg::kMaxPacketBytes + 8), &length);
    if (op & 1) {
      // A well-formed header from fuzzed fields: sequence, timestamp, SSRC and marker jump about.
      FuzzInput fields(bytes, length);
      RtpPacket rtp;
      // Telephone events, RFC 3389 comfort noise (PT 13) or the audio codec's packets.
      const uint8_t kind = fields.U8() % 4;
      rtp.payload_type = kind == 0 ? 101 : kind == 1 ? RtpLeg::kComfortNoisePayloadType : static_cast<uint8_t>(leg.payload_type);
      rtp.marker = fields.U8() & 1;
      rtp.sequence_number = fields.U16();
      rtp.timestamp = fields.U32();
      rtp.ssrc = fields.U8() & 1 ? 0x1234 : 0x5678;
      size_t payload_length = 0;
      const uint8_t* payload = fields.Bytes(1200, &payload_length);
      length = rtp.SerializeTo(packet.data(), packet.size(), payload, payload_length);
      media.leg().OnDatagram(packet.data(), length, from, now_us, events, media.id());
    } else {
      media.leg().OnDatagram(bytes, length, from, now_us, events, media.id());
    }
    if (op & 0x40) {
      media.Tick(now_us, events);
      events.Reset();
    }
  }
  media.Tick(now_us + 200'000, events);
  events.Reset();
  return 0;
}

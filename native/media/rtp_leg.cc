#include "media/rtp_leg.h"

#include <algorithm>
#include <cstring>
#include <random>
#include <stdexcept>

#include "net/udp_socket_pair.h"
#include "rtp/rtp_packet.h"
#include "rtp/telephone_event.h"

namespace parley {
namespace {

uint32_t RandomU32() {
  static thread_local std::mt19937 generator{std::random_device{}()};
  return generator();
}

// RFC 5761 section 4: with rtcp-mux, RTCP is told apart by its second byte (payload types 64-95
// with the marker bit set, i.e. RTCP packet types 192-223).
bool IsRtcp(const uint8_t* data, size_t length) { return length >= 2 && data[1] >= 192 && data[1] <= 223; }


}  // namespace

RtpLeg::RtpLeg(const RtpLegOptions& options)
    : options_(options),
      codec_(CodecTable::Get(options.codec)),
      pcm_rate_hz_(CodecPcmRateHz(options.codec, options.bot_rate_hz)),
      remote_(options.remote),
      decoder_(MakeFrameDecoder(options.codec, pcm_rate_hz_)),
      encoder_(MakeFrameEncoder(options.codec, options.encoder, pcm_rate_hz_)),
      rates_(pcm_rate_hz_, options.bot_rate_hz, options.frame_ms),
      durations_(codec_),
      // Room for the largest target plus the burst that follows a delay spike. A constant-rate
      // codec's payloads have a known size: slots of kMaxSlotMs keep a call's buffer small (17 KB
      // for G.711 instead of 46), which is what keeps a thousand calls' buffers in cache.
      jitter_(JitterBufferConfig{codec_.clock_rate_hz, options.frame_ms, options.jitter_min_delay_ms,
                                 options.jitter_max_delay_ms,
                                 static_cast<size_t>(options.jitter_max_delay_ms / options.frame_ms + 16),
                                 codec_.bytes_per_frame != 0
                                     ? static_cast<size_t>(codec_.bytes_per_frame * kMaxSlotMs / 20)
                                     : JitterBufferConfig{}.max_payload_bytes,
                                 // RFC 6716 section 4.4: Opus conceals in whole 2.5 ms steps.
                                 options.codec == CodecId::kOpus ? codec_.clock_rate_hz / 400 : 1,
                                 options.codec == CodecId::kOpus,
                                 JitterPlayout::StretchesAt(pcm_rate_hz_, options.jitter_time_stretch)}),
      dtmf_in_(options.telephone_event_clock_hz > 0 ? options.telephone_event_clock_hz : codec_.clock_rate_hz),
      dtmf_out_(options.telephone_event_clock_hz > 0 ? options.telephone_event_clock_hz : codec_.clock_rate_hz,
                options.frame_ms),
      comfort_noise_payload_type_(options.comfort_noise_payload_type >= 0 ? options.comfort_noise_payload_type
                                                                           : kComfortNoisePayloadType),
      comfort_noise_out_(options.frame_ms),
      latch_([&options] {
        SourceLatchConfig source = options.source;
        source.signalled = options.remote;
        return source;
      }()),
      ssrc_(options.ssrc != 0 ? options.ssrc : RandomU32()),
      seq_(options.ssrc != 0 ? options.initial_seq : static_cast<uint16_t>(RandomU32())),
      timestamp_(options.ssrc != 0 ? options.initial_timestamp : RandomU32()),
      rtp_samples_per_frame_(static_cast<uint32_t>(codec_.clock_rate_hz / 1000 * options.frame_ms)),
      initial_timestamp_(timestamp_),
      event_clock_hz_(options.telephone_event_clock_hz > 0 ? options.telephone_event_clock_hz : codec_.clock_rate_hz),
      rtcp_(ssrc_, codec_.clock_rate_hz, RandomU32()),
      rtcp_buffer_(options.rtcp != RtcpMode::kOff ? kMaxPacketBytes : 0),
      receive_buffer_(kMaxPacketBytes),
      send_buffer_(kMaxPacketBytes),
      payload_buffer_(kMaxPacketBytes),
      codec_pcm_(rates_.leg_frame_samples()),
      playout_(codec_.clock_rate_hz, pcm_rate_hz_, rates_.leg_frame_samples(),
               static_cast<size_t>(pcm_rate_hz_) * kMaxDecodeMs / 1000, options.jitter_time_stretch,
               // G.711 and G.722 (Appendix I PLC) and Opus cross-fade their first good frame themselves.
               options.codec != CodecId::kPcmu && options.codec != CodecId::kPcma && options.codec != CodecId::kG722 &&
                   options.codec != CodecId::kOpus) {
  if (options.payload_type < 0 || options.payload_type > 127) throw std::invalid_argument("payload type out of range");
  if (options.telephone_event_payload_type > 127 || options.telephone_event_payload_type == options.payload_type) {
    throw std::invalid_argument("telephone-event payload type must differ from the audio one and be < 128");
  }
  if (options.comfort_noise_payload_type > 127 || options.comfort_noise_payload_type == options.payload_type ||
      (options.comfort_noise_payload_type >= 0 &&
       (options.comfort_noise_payload_type == options.telephone_event_payload_type || options.codec == CodecId::kOpus))) {
    throw std::invalid_argument("comfort noise needs its own payload type (< 128) and a codec other than Opus");
  }
  if (options.telephone_event_clock_hz != 0 &&
      (options.telephone_event_clock_hz < 8000 || options.telephone_event_clock_hz > 48000)) {
    throw std::invalid_argument("telephone-event clock out of range");
  }
  if (options.packet_ms != 0 && options.packet_ms != options.frame_ms && options.codec == CodecId::kOpus) {
    // RFC 6716 section 2.1.4's frame sizes that a 20 ms frame clock cuts or gathers whole.
    if ((options.packet_ms != 10 && options.packet_ms != 40 && options.packet_ms != 60) || options.frame_ms != 20) {
      throw std::invalid_argument("an Opus packet_ms must be 10, 20, 40 or 60 on 20 ms frames");
    }
    opus_packet_samples_ = static_cast<size_t>(pcm_rate_hz_ / 1000 * options.packet_ms);
    packet_samples_ = static_cast<uint32_t>(codec_.clock_rate_hz / 1000 * options.packet_ms);
    if (options.packet_ms > options.frame_ms) pending_pcm_.resize(opus_packet_samples_);
  } else if (options.packet_ms != 0 && options.packet_ms != options.frame_ms) {
    if (options.packet_ms < 10 || options.packet_ms > 60 || options.packet_ms % 10 != 0 || codec_.bytes_per_frame == 0) {
      throw std::invalid_argument("packet_ms must be 10-60 in steps of 10, and differ from the frame only for a constant-rate codec or Opus");
    }
    packet_bytes_ = static_cast<size_t>(codec_.bytes_per_frame * options.packet_ms / 20);
    packet_samples_ = static_cast<uint32_t>(codec_.clock_rate_hz / 1000 * options.packet_ms);
    pending_.resize(packet_bytes_ + static_cast<size_t>(codec_.bytes_per_frame * options.frame_ms / 20));
  }
  if (options.rtcp == RtcpMode::kPair && !options.own_socket) {
    throw std::invalid_argument("RTCP on its own port needs the leg's own socket; a JS-carried transport muxes it");
  }
  if (options.srtp) {
    srtp_in_ = std::make_unique<SrtpContext>(options.srtp_profile, options.srtp_remote_key, options.srtp_remote_key + 16);
    srtp_out_ = std::make_unique<SrtpContext>(options.srtp_profile, options.srtp_local_key, options.srtp_local_key + 16);
  }
  rtcp_remote_ = options.rtcp_remote;
  if (!remote_.empty()) rtcp_default_ = remote_.WithPort(remote_.port() + 1);
  if (options.take_transport) {
    // Sockets come from the leg this one replaces.
  } else if (options.own_socket && options.rtcp == RtcpMode::kPair) {
    UdpSocketPair pair = UdpSocketPair::Bind(options.local_host, options.local_port, options.local_port_min, options.local_port_max, RandomU32());
    socket_ = std::move(pair.rtp);
    rtcp_socket_ = std::move(pair.rtcp);
  } else if (options.own_socket && options.local_port == 0 && options.local_port_min > 0) {
    socket_ = UdpSocket::BindInRange(options.local_host, options.local_port_min, options.local_port_max, RandomU32());
  } else if (options.own_socket) {
    socket_ = std::make_unique<UdpSocket>(options.local_host, options.local_port);
  }
}

RtpLeg::~RtpLeg() = default;

void RtpLeg::ReportFirst(RtpStatus status, SessionEventSink& events, int32_t session_id) {
  const uint32_t bit = 1u << static_cast<uint32_t>(status);
  if ((reported_statuses_ & bit) != 0) return;
  reported_statuses_ |= bit;
  events.Add(session_id, SessionEventType::kMalformed, static_cast<int32_t>(status));
}

void RtpLeg::Refuse(MediaRefusal refusal, SessionEventSink& events, int32_t session_id) {
  ++stats_.refused[static_cast<size_t>(refusal)];
  const uint32_t bit = 1u << static_cast<uint32_t>(refusal);
  if ((reported_refusals_ & bit) != 0) return;
  reported_refusals_ |= bit;
  events.Add(session_id, SessionEventType::kRefused, static_cast<int32_t>(refusal));
}

void RtpLeg::SetRemote(const SocketAddress& remote) {
  remote_ = remote;
  rtcp_default_ = remote.WithPort(remote.port() + 1);
  remote_learned_ = false;
  latch_.SetSignalled(remote);
}

void RtpLeg::AddRefusals(uint64_t* totals) const {
  for (size_t i = 0; i < kMediaRefusalCount; ++i) totals[i] += stats_.refused[i];
}

void RtpLeg::OnDatagram(const uint8_t* data, size_t length, const SocketAddress& from, int64_t arrival_us,
                        SessionEventSink& events, int32_t session_id) {
  if (length > kMaxPacketBytes) {
    Refuse(MediaRefusal::kMalformed, events, session_id);
    ReportFirst(RtpStatus::kTooLong, events, session_id);
    return;
  }
  if (IsRtcp(data, length)) {
    // RFC 5761 section 4: on a muxed port; without a=rtcp-mux a peer may still send it here.
    OnRtcpDatagram(data, length, from, arrival_us, events, session_id);
    return;
  }
  if (length < RtpPacket::kFixedHeaderBytes) {
    Refuse(MediaRefusal::kMalformed, events, session_id);
    ReportFirst(RtpStatus::kTruncated, events, session_id);
    return;
  }
  // The source and SSRC checks run on the header, which SRTP leaves in clear, before any crypto:
  // a flood from elsewhere costs a comparison, not an HMAC.
  const uint32_t ssrc = (static_cast<uint32_t>(data[8]) << 24) | (static_cast<uint32_t>(data[9]) << 16) |
                        (static_cast<uint32_t>(data[10]) << 8) | data[11];
  MediaRefusal refusal = MediaRefusal::kForeignSource;
  const SourceVerdict verdict = latch_.Evaluate(from, ssrc, arrival_us, &refusal);
  if (verdict == SourceVerdict::kRefuse) {
    latch_.Seen(arrival_us);
    Refuse(refusal, events, session_id);
    return;
  }
  // Known SSRCs: the latched one, or a new one from the latched source once the old one has been
  // silent kSsrcSwitchAfterUs. Anything else is dropped before its SRTP state is looked at.
  if (verdict == SourceVerdict::kAccept && ssrc != remote_ssrc_ && arrival_us - last_packet_us_ < kSsrcSwitchAfterUs) {
    Refuse(MediaRefusal::kForeignSsrc, events, session_id);
    return;
  }
  if (!TakeIn(data, &length, false, events, session_id)) return;
  uint8_t* packet = receive_buffer_.data();
  RtpPacket rtp;
  const RtpStatus status = RtpPacket::Parse(packet, length, &rtp);
  if (status != RtpStatus::kOk) {
    Refuse(MediaRefusal::kMalformed, events, session_id);
    ReportFirst(status, events, session_id);
    return;
  }
  const bool first = !latch_.latched();
  if (latch_.Apply(verdict, from, ssrc, arrival_us)) {
    if (!first) ++stats_.relatches;
    if (options_.learn_remote && !from.empty() && (remote_.empty() || remote_learned_)) {
      remote_ = from;
      remote_learned_ = true;
    }
    events.Add(session_id, SessionEventType::kRemoteLatched, first ? 0 : 1);
  }
  if (verdict == SourceVerdict::kCandidate) {
    Refuse(MediaRefusal::kSourceCandidate, events, session_id);
    return;
  }
  if (first) {
    remote_ssrc_ = ssrc;
  } else if (ssrc != remote_ssrc_) {
    remote_ssrc_ = ssrc;
    latch_.FollowSsrc(ssrc);
    ++stats_.ssrc_changes;
    rtcp_.OnRemoteSsrcChanged();
    jitter_.NewStream();
  }
  last_packet_us_ = arrival_us;
  ++stats_.packets_received;
  rtcp_.OnRtpReceived(rtp.sequence_number, rtp.timestamp, arrival_us, rtp.payload_type == options_.payload_type);
  stats_.bytes_received += length;

  const uint8_t* payload = packet + rtp.payload_offset;
  if (rtp.payload_type == options_.payload_type) {
    // RFC 6716 section 2.1.9 / libopus: in DTX an Opus encoder sends a 1-2 byte packet (its
    // comfort noise) every 400 ms at most; the gaps between are silence, not loss.
    const bool dtx = options_.codec == CodecId::kOpus && rtp.payload_length <= kOpusDtxMaxBytes;
    jitter_.Insert(rtp.sequence_number, rtp.timestamp, rtp.marker, payload, rtp.payload_length,
                   durations_.Ts(payload, rtp.payload_length), arrival_us, dtx ? PacketKind::kDtx : PacketKind::kAudio);
  } else if (rtp.payload_type == comfort_noise_payload_type_ &&
             (options_.comfort_noise_payload_type >= 0 || codec_.clock_rate_hz == kComfortNoiseClockHz)) {
    // RFC 3389 CN, at the codec's RTP clock: the negotiated payload type, else static 13 at
    // 8 kHz (RFC 3551 section 6). Noise for the pause the sender starts; its sequence number
    // keeps the count, so the pause is not loss.
    jitter_.Insert(rtp.sequence_number, rtp.timestamp, rtp.marker, payload, rtp.payload_length,
                   rtp_samples_per_frame_, arrival_us, PacketKind::kComfortNoise);
  } else if (rtp.payload_type == options_.telephone_event_payload_type) {
    TelephoneEvent event;
    DtmfDigit digit;
    if (TelephoneEvent::Parse(payload, rtp.payload_length, &event) &&
        dtmf_in_.OnPacket(rtp.timestamp, event, arrival_us, &digit)) {
      events.Add(session_id, SessionEventType::kDtmf, digit.digit, digit.duration_ms);
    }
  } else {
    Refuse(MediaRefusal::kWrongPayloadType, events, session_id);
    ReportFirst(RtpStatus::kUnexpectedPayloadType, events, session_id);
  }
}

const int16_t* RtpLeg::PullCallerFrame(int64_t frame_time_us, int16_t* out, SessionEventSink& events,
                                       int32_t session_id) {
  DtmfDigit digit;
  if (dtmf_in_.Poll(frame_time_us, &digit)) events.Add(session_id, SessionEventType::kDtmf, digit.digit, digit.duration_ms);

  MaybeSendRtcp(frame_time_us);
  int16_t* pcm = codec_pcm_.data();
  playout_.Pull(jitter_, *decoder_, frame_time_us, pcm);
  return rates_.ToBot(pcm, out);
}

void RtpLeg::PushBotFrame(const int16_t* frame, bool talkspurt_start) {
  const uint32_t frame_timestamp = timestamp_;
  // The RTP clock runs on while paused or silent (RFC 3550 section 5.1): the far end sees a gap,
  // not a time warp.
  timestamp_ += rtp_samples_per_frame_;
  // A frame not sent as audio breaks the run a pending packet was filling: it is dropped, so no
  // packet ever spans a gap in time.
  if (paused_) {
    DropPending();
    comfort_noise_out_.Reset();
    return;
  }

  DtmfPackets dtmf;
  if (dtmf_out_.Tick(EventTimestamp(frame_timestamp), &dtmf)) {
    DropPending();
    comfort_noise_out_.Reset();
    for (size_t i = 0; i < dtmf.count; ++i) {
      SendRtp(static_cast<uint8_t>(options_.telephone_event_payload_type), dtmf.marker && i == 0,
              dtmf.event_timestamp, dtmf.payloads[i], TelephoneEvent::kPayloadBytes);
    }
    return;
  }
  if (options_.comfort_noise_payload_type >= 0) {
    uint8_t level = 0;
    switch (comfort_noise_out_.Next(frame, frame != nullptr ? rates_.bot_frame_samples() : 0, &level)) {
      case ComfortNoiseAction::kSid:
        DropPending();
        SendRtp(static_cast<uint8_t>(options_.comfort_noise_payload_type), false, frame_timestamp, &level, 1);
        return;
      case ComfortNoiseAction::kNothing:
        DropPending();
        return;
      case ComfortNoiseAction::kAudioAfterSilence:
        talkspurt_start = true;
        break;
      case ComfortNoiseAction::kAudio:
        break;
    }
  } else if (frame == nullptr && !options_.send_silence) {
    DropPending();
    return;
  }

  int16_t* pcm = codec_pcm_.data();
  if (frame == nullptr) {
    std::memset(pcm, 0, codec_pcm_.size() * sizeof(int16_t));
  } else {
    rates_.FromBot(frame, pcm);
  }
  if (opus_packet_samples_ != 0) {
    SendOpusPackets(pcm, frame_timestamp, talkspurt_start);
    return;
  }
  const int bytes = encoder_->Encode(pcm, codec_pcm_.size(), payload_buffer_.data(), payload_buffer_.size());
  if (bytes <= 0) {
    ++stats_.send_dropped;
    return;
  }
  if (packet_bytes_ != 0) {
    SendPacketized(payload_buffer_.data(), static_cast<size_t>(bytes), frame_timestamp, talkspurt_start);
    return;
  }
  SendRtp(static_cast<uint8_t>(options_.payload_type), talkspurt_start, frame_timestamp, payload_buffer_.data(),
          static_cast<size_t>(bytes));
}

// The answer's ptime (RFC 3551 section 4.2: a packet may carry any whole number of samples of a
// sample-based codec): frames are cut or joined into packets of packet_ms, each stamped with
// the RTP time of its first sample. 10 ms packets go out two per frame.
void RtpLeg::SendPacketized(const uint8_t* encoded, size_t length, uint32_t timestamp, bool talkspurt_start) {
  if (pending_bytes_ == 0) {
    pending_timestamp_ = timestamp;
    pending_marker_ = talkspurt_start;
  }
  std::memcpy(pending_.data() + pending_bytes_, encoded, length);
  pending_bytes_ += length;
  size_t offset = 0;
  while (pending_bytes_ - offset >= packet_bytes_) {
    SendRtp(static_cast<uint8_t>(options_.payload_type), pending_marker_, pending_timestamp_, pending_.data() + offset,
            packet_bytes_);
    pending_marker_ = false;
    pending_timestamp_ += packet_samples_;
    offset += packet_bytes_;
  }
  pending_bytes_ -= offset;
  if (pending_bytes_ != 0 && offset != 0) std::memmove(pending_.data(), pending_.data() + offset, pending_bytes_);
}

// The answer's ptime for Opus (RFC 7587 section 4.2: one Opus packet per RTP packet; RFC 6716
// section 2.1.4: frames of 10, 20, 40 or 60 ms): a 10 ms packet is cut from each half of the
// 20 ms frame, a 40 or 60 ms one gathered over two or three frames; each encoded as one frame
// (not 20 ms frames repacketized: a longer Opus frame is coded once, at a lower overhead).
void RtpLeg::SendOpusPackets(const int16_t* pcm, uint32_t timestamp, bool talkspurt_start) {
  const size_t frame = codec_pcm_.size();
  if (opus_packet_samples_ < frame) {
    for (size_t offset = 0, k = 0; offset < frame; offset += opus_packet_samples_, ++k) {
      EncodeAndSend(pcm + offset, opus_packet_samples_, timestamp + static_cast<uint32_t>(k) * packet_samples_, talkspurt_start && k == 0);
    }
    return;
  }
  if (pending_pcm_samples_ == 0) {
    pending_timestamp_ = timestamp;
    pending_marker_ = talkspurt_start;
  }
  std::memcpy(pending_pcm_.data() + pending_pcm_samples_, pcm, frame * sizeof(int16_t));
  pending_pcm_samples_ += frame;
  if (pending_pcm_samples_ < opus_packet_samples_) return;
  pending_pcm_samples_ = 0;
  EncodeAndSend(pending_pcm_.data(), opus_packet_samples_, pending_timestamp_, pending_marker_);
}

void RtpLeg::EncodeAndSend(const int16_t* pcm, size_t samples, uint32_t timestamp, bool marker) {
  const int bytes = encoder_->Encode(pcm, samples, payload_buffer_.data(), payload_buffer_.size());
  if (bytes <= 0) {
    ++stats_.send_dropped;
    return;
  }
  SendRtp(static_cast<uint8_t>(options_.payload_type), marker, timestamp, payload_buffer_.data(), static_cast<size_t>(bytes));
}

bool RtpLeg::SendDtmf(const char* digits, size_t count) {
  if (options_.telephone_event_payload_type < 0) return false;
  return dtmf_out_.Enqueue(digits, count);
}

void RtpLeg::SendRtp(uint8_t payload_type, bool marker, uint32_t timestamp, const uint8_t* payload, size_t length) {
  RtpPacket rtp;
  rtp.payload_type = payload_type;
  rtp.marker = marker;
  rtp.sequence_number = seq_++;
  rtp.timestamp = timestamp;
  rtp.ssrc = ssrc_;
  const size_t reserve = srtp_out_ ? SrtpContext::kMaxTrailerBytes : 0;
  size_t total = rtp.SerializeTo(send_buffer_.data(), send_buffer_.size() - reserve, payload, length);
  if (total == 0) {
    ++stats_.send_dropped;
    return;
  }
  if (srtp_out_ && srtp_out_->ProtectRtp(send_buffer_.data(), total, send_buffer_.size(), &total) != SrtpStatus::kOk) {
    ++stats_.send_dropped;
    return;
  }
  Send(send_buffer_.data(), total);
  rtcp_.OnRtpSent(length);
}

void RtpLeg::Send(const uint8_t* packet, size_t length) {
  if (!Transmit(socket_.get(), remote_, packet, length)) {
    ++stats_.send_dropped;
    return;
  }
  ++stats_.packets_sent;
}

bool RtpLeg::Transmit(UdpSocket* socket, const SocketAddress& to, const uint8_t* packet, size_t length) {
  if (socket != nullptr) return !to.empty() && socket->Queue(packet, length, to);
  // A JS-carried transport drains every tick; bound what a stalled reader can pile up.
  if (external_.size() + length + 2 > 64 * kMaxPacketBytes) return false;
  external_.push_back(static_cast<uint8_t>(length >> 8));
  external_.push_back(static_cast<uint8_t>(length & 0xff));
  external_.insert(external_.end(), packet, packet + length);
  return true;
}

void RtpLeg::OnRtcpDatagram(const uint8_t* data, size_t length, const SocketAddress& from, int64_t arrival_us,
                            SessionEventSink& events, int32_t session_id) {
  if (options_.rtcp == RtcpMode::kOff) {
    // Counted, not read: this transport's RTCP is someone else's (werift answers the browser's).
    ++stats_.rtcp_received;
    return;
  }
  if (length > kMaxPacketBytes) {
    Refuse(MediaRefusal::kMalformed, events, session_id);
    ReportFirst(RtpStatus::kTooLong, events, session_id);
    return;
  }
  // Reports are believed only from the host the media latched to (from any of its ports: RTCP
  // comes from RTP's port + 1 without mux), and only after it latched: a forged RR would
  // otherwise write the call's RTT and loss.
  if (!from.empty() && (!latch_.latched() || !from.SameHostAs(latch_.source()))) {
    Refuse(MediaRefusal::kForeignSource, events, session_id);
    return;
  }
  if (!TakeIn(data, &length, true, events, session_id)) return;
  const RtpStatus status = rtcp_.OnRtcp(receive_buffer_.data(), length, remote_ssrc_, arrival_us);
  if (status != RtpStatus::kOk) {
    Refuse(MediaRefusal::kMalformed, events, session_id);
    ReportFirst(status, events, session_id);
    return;
  }
  ++stats_.rtcp_received;
  // Symmetric RTCP (RFC 4961): without a signalled a=rtcp, answer where the reports come from.
  if (options_.rtcp == RtcpMode::kPair && options_.learn_remote && options_.rtcp_remote.empty() && !from.empty()) {
    rtcp_remote_ = from;
  }
}

// Copies a datagram into receive_buffer_ and, on an SRTP leg, authenticates and decrypts it in
// place (SRTCP for RTCP, RFC 3711 section 3.4); `length` becomes the plain length. False, counted
// and reported once, when that fails.
bool RtpLeg::TakeIn(const uint8_t* data, size_t* length, bool rtcp, SessionEventSink& events, int32_t session_id) {
  std::memcpy(receive_buffer_.data(), data, *length);
  if (!srtp_in_) return true;
  uint8_t* packet = receive_buffer_.data();
  size_t plain_length = 0;
  const SrtpStatus status = rtcp ? srtp_in_->UnprotectRtcp(packet, *length, &plain_length)
                                 : srtp_in_->UnprotectRtp(packet, *length, &plain_length);
  if (status != SrtpStatus::kOk) {
    Refuse(MediaRefusal::kSrtpFailed, events, session_id);
    ReportFirst(RtpStatus::kAuthenticationFailed, events, session_id);
    return false;
  }
  *length = plain_length;
  return true;
}

const SocketAddress& RtpLeg::RtcpDestination() const {
  if (options_.rtcp == RtcpMode::kMux) return remote_;
  return rtcp_remote_.empty() ? rtcp_default_ : rtcp_remote_;
}

// RFC 3550 section 6: reports on the session's schedule, protected as SRTCP on an SRTP leg
// (RFC 3711 section 3.4) and never sent in clear there.
void RtpLeg::MaybeSendRtcp(int64_t now_us) {
  if (options_.rtcp == RtcpMode::kOff) return;
  const size_t reserve = srtp_out_ ? SrtpContext::kMaxTrailerBytes : 0;
  size_t length = rtcp_.MaybeWriteReport(now_us, timestamp_, remote_ssrc_, rtcp_buffer_.data(), rtcp_buffer_.size() - reserve);
  if (length == 0) return;
  if (srtp_out_ && srtp_out_->ProtectRtcp(rtcp_buffer_.data(), length, rtcp_buffer_.size(), &length) != SrtpStatus::kOk) {
    ++stats_.send_dropped;
    return;
  }
  UdpSocket* socket = options_.rtcp == RtcpMode::kPair ? rtcp_socket_.get() : socket_.get();
  if (!Transmit(socket, RtcpDestination(), rtcp_buffer_.data(), length)) ++stats_.send_dropped;
}

void RtpLeg::DrainExternal(const std::function<void(const uint8_t*, size_t)>& sink) {
  size_t offset = 0;
  while (offset + 2 <= external_.size()) {
    const size_t length = (static_cast<size_t>(external_[offset]) << 8) | external_[offset + 1];
    sink(external_.data() + offset + 2, length);
    offset += 2 + length;
  }
  external_.clear();
}

RtpLeg::Stats RtpLeg::stats() const {
  Stats stats = stats_;
  stats.jitter = jitter_.stats();
  playout_.AddStats(&stats.jitter);
  stats.decode_errors += playout_.decode_errors();
  stats.rtcp = rtcp_.stats();
  return stats;
}

const char* RtpLeg::codec_name() const { return CodecTable::Get(options_.codec).name; }

// RFC 4733 section 2.1: an event's timestamp counts the telephone-event clock. Scaled from the
// audio clock's elapsed ticks, so both formats stay on one time line from the stream's start
// (exact while the elapsed count fits 32 bits: 24 hours at 48 kHz).
uint32_t RtpLeg::EventTimestamp(uint32_t audio_timestamp) const {
  if (event_clock_hz_ == codec_.clock_rate_hz) return audio_timestamp;
  const uint64_t elapsed = static_cast<uint32_t>(audio_timestamp - initial_timestamp_);
  return initial_timestamp_ + static_cast<uint32_t>(elapsed * static_cast<uint64_t>(event_clock_hz_) /
                                                    static_cast<uint64_t>(codec_.clock_rate_hz));
}

void RtpLeg::Redirect(const SocketAddress& remote) {
  remote_ = remote;
  rtcp_default_ = remote.WithPort(remote.port() + 1);
  rtcp_remote_ = SocketAddress{};
  remote_learned_ = false;
  latch_.Redirect(remote);
  // The new source starts its own sequence and timeline: it plays after what is buffered.
  jitter_.NewStream();
}

void RtpLeg::TakeTransport(RtpLeg& from) {
  socket_ = std::move(from.socket_);
  rtcp_socket_ = std::move(from.rtcp_socket_);
  remote_ = from.remote_;
  remote_learned_ = from.remote_learned_;
  rtcp_remote_ = from.rtcp_remote_;
  rtcp_default_ = from.rtcp_default_;
  latch_ = from.latch_;
  remote_ssrc_ = from.remote_ssrc_;
  last_packet_us_ = from.last_packet_us_;
  paused_ = from.paused_;
  // The call's counts go on; the jitter buffer's and RTCP's belong to the old stream.
  stats_ = from.stats_;
  reported_statuses_ = from.reported_statuses_;
  reported_refusals_ = from.reported_refusals_;
}

bool RtpLeg::SwitchCodec(CodecId codec, int payload_type) {
  const CodecInfo& next = CodecTable::Get(codec);
  if (next.bytes_per_frame == 0 || next.clock_rate_hz != codec_.clock_rate_hz ||
      next.bytes_per_frame != codec_.bytes_per_frame || CodecPcmRateHz(codec, options_.bot_rate_hz) != pcm_rate_hz_ ||
      payload_type < 0 || payload_type > 127 || payload_type == options_.telephone_event_payload_type) {
    return false;
  }
  decoder_ = MakeFrameDecoder(codec, pcm_rate_hz_);
  encoder_ = MakeFrameEncoder(codec, options_.encoder, pcm_rate_hz_);
  options_.codec = codec;
  options_.payload_type = payload_type;
  jitter_.NewStream();
  pending_bytes_ = 0;
  return true;
}

// A fresh context: every remote SSRC's ROC, highest sequence and replay window (the per-SSRC
// stream table, RFC 3711 section 3.2.3) belonged to the old master key and start over with the
// new one.
void RtpLeg::SetSrtp(const SrtpProfile* profile, const uint8_t local_key[30], const uint8_t remote_key[30]) {
  options_.srtp = profile != nullptr;
  if (profile == nullptr) {
    srtp_in_.reset();
    srtp_out_.reset();
    return;
  }
  options_.srtp_profile = *profile;
  srtp_in_ = std::make_unique<SrtpContext>(*profile, remote_key, remote_key + 16);
  srtp_out_ = std::make_unique<SrtpContext>(*profile, local_key, local_key + 16);
}

bool RtpLeg::RekeyRemote(SrtpProfile profile, const uint8_t remote_key[30]) {
  if (!srtp_in_) return false;
  srtp_in_ = std::make_unique<SrtpContext>(profile, remote_key, remote_key + 16);
  return true;
}

}  // namespace parley

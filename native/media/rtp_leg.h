// A network leg that speaks RTP (optionally SRTP) to the caller's side: Asterisk's ExternalMedia,
// Janus's SIP plugin, or the embedded WebRTC edge (whose DTLS-SRTP lives in JS and hands packets
// over). Inbound: authenticate, parse, latch the source, jitter-buffer, decode or conceal,
// resample to the bot rate. Outbound: resample, encode, packetize with continuous seq/timestamp,
// protect, send. Everything is allocated at construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codec/codec_table.h"
#include "codec/frame_decoder.h"
#include "codec/frame_encoder.h"
#include "media/comfort_noise_sender.h"
#include "media/dtmf_receiver.h"
#include "media/dtmf_sender.h"
#include "media/jitter_buffer.h"
#include "media/jitter_playout.h"
#include "media/media_refusal.h"
#include "media/network_leg.h"
#include "media/packet_duration.h"
#include "media/rate_bridge.h"
#include "media/source_latch.h"
#include "net/udp_socket.h"
#include "rtp/rtcp_session.h"
#include "rtp/rtp_status.h"
#include "rtp/srtp_context.h"

namespace parley {

// Where RTCP travels (RFC 3550 section 6, RFC 5761): not at all (a transport that runs its own,
// such as werift's), on the RTP port (a=rtcp-mux negotiated), or on the port after it.
enum class RtcpMode : uint8_t { kOff = 0, kMux = 1, kPair = 2 };

struct RtpLegOptions {
  CodecId codec = CodecId::kPcmu;
  int payload_type = 0;
  int telephone_event_payload_type = -1;  // -1: RFC 4733 events not negotiated
  // The telephone-event format's own clock (RFC 4733 section 2.1), 0: the audio codec's. Phones
  // offer telephone-event/8000 beside opus/48000: its timestamps and durations count 8 kHz ticks.
  int telephone_event_clock_hz = 0;
  // RFC 3389 comfort noise negotiated (the answer's CN payload type, 13 as a rule): the bot's
  // silence goes out as CN packets (ComfortNoiseSender) instead of audio, and CN is received on
  // this payload type. -1: silence goes out as audio (send_silence), CN is received on PT 13
  // when the codec's RTP clock is PT 13's. CN runs at the codec's RTP clock (CN/8000 beside G.711
  // and G.722, CN/16000 beside L16/16000), never beside Opus, whose silence is its own DTX.
  int comfort_noise_payload_type = -1;
  int bot_rate_hz = 16000;
  int frame_ms = 20;
  // Milliseconds of audio per packet sent (the answer's a=ptime, RFC 4566 section 6): 0 or
  // frame_ms sends each frame as it is encoded; 10-60 in steps of 10 for a constant-rate codec
  // (G.711, G.722), whose encoded bytes cut at any sample boundary.
  int packet_ms = 0;
  FrameEncoderOptions encoder;

  // Transport: a socket of its own bound to local_host:local_port (0 = any free port), or none
  // when JS carries the packets (ingest / DrainExternal).
  bool own_socket = true;
  // Bind nothing: the leg takes another's sockets (TakeTransport) before it is used.
  bool take_transport = false;
  std::string local_host = "127.0.0.1";
  int local_port = 0;
  // With local_port 0: the operator's RTP port range (0/0: any free port).
  int local_port_min = 0;
  int local_port_max = 0;
  // The remote address the signalling named (SDP c=/m=, Asterisk's UNICASTRTP_LOCAL_ADDRESS/PORT):
  // where to send, and the source the latch prefers (source_latch.h). Empty with learn_remote:
  // send to the latched source (symmetric RTP, RFC 4961), following it when it moves.
  SocketAddress remote;
  bool learn_remote = true;
  // Strict source, learning window and re-latch rules; `signalled` is taken from `remote`.
  SourceLatchConfig source;
  bool send_silence = true;
  RtcpMode rtcp = RtcpMode::kOff;
  // With kPair: where the peer reads RTCP when it said so (SDP a=rtcp, RFC 3605); empty: the
  // remote RTP port + 1, or the source of the peer's own RTCP once it arrived.
  SocketAddress rtcp_remote;

  // SDES-SRTP (RFC 4568): 16-byte master key followed by 14-byte master salt, one per direction.
  bool srtp = false;
  SrtpProfile srtp_profile = SrtpProfile::kAesCm128HmacSha1_80;
  uint8_t srtp_local_key[30] = {0};
  uint8_t srtp_remote_key[30] = {0};

  int jitter_min_delay_ms = 20;
  int jitter_max_delay_ms = 400;
  // false: the previous buffer's whole-frame adaptation (the jitter bench's reference).
  bool jitter_time_stretch = true;
  uint32_t ssrc = 0;          // 0: random
  uint16_t initial_seq = 0;   // randomised with the timestamp when ssrc is 0 (RFC 3550 section 5.1)
  uint32_t initial_timestamp = 0;
};

class RtpLeg final : public NetworkLeg {
 public:
  static constexpr size_t kMaxPacketBytes = 1500;
  // A new SSRC from the latched address is accepted once the old one has been silent this long
  // (a re-INVITE or a PBX-side restart); before that it is counted as foreign.
  static constexpr int64_t kSsrcSwitchAfterUs = 200'000;
  // The longest payload a constant-rate codec may carry per packet (RFC 3551 section 4.2 lets
  // ptime run to 60 ms and beyond; phones use 10 to 60), and the longest packet decoded at all
  // (RFC 6716 section 3.2.5: an Opus packet holds up to 120 ms).
  static constexpr int kMaxSlotMs = 60;
  static constexpr int kMaxDecodeMs = 120;
  static constexpr int kComfortNoisePayloadType = 13;
  static constexpr int kComfortNoiseClockHz = 8000;  // PT 13's (RFC 3551 section 6)
  static constexpr size_t kOpusDtxMaxBytes = 2;

  // Throws std::invalid_argument for inconsistent options, std::system_error if the bind fails.
  explicit RtpLeg(const RtpLegOptions& options);
  ~RtpLeg() override;

  const int16_t* PullCallerFrame(int64_t frame_time_us, int16_t* out, SessionEventSink& events,
                                 int32_t session_id) override;
  int speech_rate_hz() const override { return rates_.speech_rate_hz(); }
  RateBridge& rates() override { return rates_; }
  void PushBotFrame(const int16_t* frame, bool talkspurt_start) override;
  bool SendDtmf(const char* digits, size_t count) override;
  UdpSocket* socket() override { return socket_.get(); }
  UdpSocket* rtcp_socket() override { return rtcp_socket_.get(); }
  void OnDatagram(const uint8_t* data, size_t length, const SocketAddress& from, int64_t arrival_us,
                  SessionEventSink& events, int32_t session_id) override;
  void OnRtcpDatagram(const uint8_t* data, size_t length, const SocketAddress& from, int64_t arrival_us,
                      SessionEventSink& events, int32_t session_id) override;
  bool active() const override { return latch_.latched(); }
  void set_paused(bool paused) override { paused_ = paused; }
  // RFC 3550 section 5.1: the timestamp counts sampling instants, sent or not.
  void SkipFrames(int64_t frames) override {
    timestamp_ += static_cast<uint32_t>(frames) * rtp_samples_per_frame_;
    DropPending();  // a packet never spans skipped time
  }
  RtpLeg* AsRtp() override { return this; }

  // The signalled remote address, known after the leg was made (Asterisk's channel variables).
  void SetRemote(const SocketAddress& remote);
  // A re-INVITE moved the peer (RFC 3264 section 8.3.1): send there; the new address is the
  // signalled one, and the old source cannot take the latch back (SourceLatch::Redirect).
  void Redirect(const SocketAddress& remote);
  // A re-INVITE brought new SDES keys from the peer (RFC 4568 section 7.1.4): inbound packets are
  // authenticated with them from now on; our own key and stream continue. False, and nothing
  // changed, on a leg without SRTP (a key cannot turn plain RTP into SRTP one way).
  bool RekeyRemote(SrtpProfile profile, const uint8_t remote_key[30]);
  // A re-INVITE turned SDES-SRTP on, off (`profile` null) or to another suite (RFC 3264 section 8,
  // RFC 4568 section 7.1.4): both directions start fresh contexts with the new answer's keys, so
  // SRTP and SRTCP follow from the next packet.
  void SetSrtp(const SrtpProfile* profile, const uint8_t local_key[30], const uint8_t remote_key[30]);
  // A re-INVITE changed the codec or its payload type (RFC 3264 section 8.3.2). Only to a codec
  // with the same clock, frame size and PCM rate (G.711 mu-law <-> A-law): the buffers sized at
  // construction still fit. False, and nothing changed, otherwise.
  bool SwitchCodec(CodecId codec, int payload_type);
  // A leg for a new codec takes over this call's transport from `from` (a re-INVITE to or from
  // Opus): its sockets, addresses, source latch, peer SSRC, pause and counters. Its own SSRC and
  // RTP clock are new (RFC 7160 section 4.1: one SSRC per clock rate). Built without a socket.
  void TakeTransport(RtpLeg& from);
  int bot_rate_hz() const { return options_.bot_rate_hz; }
  // Hands every packet queued for a JS-carried transport to `sink`, then forgets them.
  void DrainExternal(const std::function<void(const uint8_t*, size_t)>& sink);
  // Adds this leg's refusals, by MediaRefusal, to `totals` (kMediaRefusalCount entries).
  void AddRefusals(uint64_t* totals) const override;

  struct Stats {
    uint64_t packets_received = 0;
    uint64_t packets_sent = 0;
    uint64_t bytes_received = 0;
    uint64_t refused[kMediaRefusalCount] = {0};  // by MediaRefusal
    uint64_t relatches = 0;        // the latch moved to another source after the first
    uint64_t rtcp_received = 0;
    uint64_t decode_errors = 0;
    uint64_t send_dropped = 0;     // no remote yet, or the transport refused
    uint64_t ssrc_changes = 0;
    JitterBufferStats jitter;
    RtcpStats rtcp;
  };
  Stats stats() const;
  const char* codec_name() const;

 private:
  void Send(const uint8_t* packet, size_t length);
  bool Transmit(UdpSocket* socket, const SocketAddress& to, const uint8_t* packet, size_t length);
  void MaybeSendRtcp(int64_t now_us);
  bool TakeIn(const uint8_t* data, size_t* length, bool rtcp, SessionEventSink& events, int32_t session_id);
  const SocketAddress& RtcpDestination() const;
  void SendRtp(uint8_t payload_type, bool marker, uint32_t timestamp, const uint8_t* payload, size_t length);
  void ReportFirst(RtpStatus status, SessionEventSink& events, int32_t session_id);
  uint32_t EventTimestamp(uint32_t audio_timestamp) const;
  void SendPacketized(const uint8_t* encoded, size_t length, uint32_t timestamp, bool talkspurt_start);
  void SendOpusPackets(const int16_t* pcm, uint32_t timestamp, bool talkspurt_start);
  void EncodeAndSend(const int16_t* pcm, size_t samples, uint32_t timestamp, bool marker);
  // A frame not sent as audio: what a packet was gathering is dropped, so no packet spans a gap.
  void DropPending() {
    pending_bytes_ = 0;
    pending_pcm_samples_ = 0;
  }
  void Refuse(MediaRefusal refusal, SessionEventSink& events, int32_t session_id);

  RtpLegOptions options_;
  const CodecInfo& codec_;
  int pcm_rate_hz_;  // the rate PCM is exchanged with the codec at (CodecPcmRateHz)
  std::unique_ptr<UdpSocket> socket_;
  std::unique_ptr<UdpSocket> rtcp_socket_;
  SocketAddress remote_;
  SocketAddress rtcp_remote_;  // kPair: signalled (a=rtcp) or learned from the peer's RTCP
  SocketAddress rtcp_default_; // kPair: remote_ with port + 1
  std::unique_ptr<SrtpContext> srtp_in_;
  std::unique_ptr<SrtpContext> srtp_out_;
  std::unique_ptr<FrameDecoder> decoder_;
  std::unique_ptr<FrameEncoder> encoder_;
  RateBridge rates_;
  PacketDuration durations_;
  JitterBuffer jitter_;
  DtmfReceiver dtmf_in_;
  DtmfSender dtmf_out_;
  int comfort_noise_payload_type_;  // received as CN (and sent, when options_ say so)
  ComfortNoiseSender comfort_noise_out_;

  SourceLatch latch_;
  bool remote_learned_ = false;
  bool paused_ = false;
  uint32_t remote_ssrc_ = 0;
  int64_t last_packet_us_ = 0;

  uint32_t ssrc_;
  uint16_t seq_;
  uint32_t timestamp_;
  uint32_t rtp_samples_per_frame_;
  uint32_t initial_timestamp_;
  int event_clock_hz_;

  RtcpSession rtcp_;
  std::vector<uint8_t> rtcp_buffer_;
  std::vector<uint8_t> receive_buffer_;
  std::vector<uint8_t> send_buffer_;
  std::vector<uint8_t> payload_buffer_;
  std::vector<int16_t> codec_pcm_;
  JitterPlayout playout_;  // decodes what jitter_ decides, stretching and concealing
  std::vector<uint8_t> external_;  // [u16 length][bytes]... for a JS-carried transport
  // Encoded audio waiting to fill a packet of packet_ms (SendPacketized).
  size_t packet_bytes_ = 0;
  uint32_t packet_samples_ = 0;
  std::vector<uint8_t> pending_;
  size_t pending_bytes_ = 0;
  // Opus at another ptime than the frame's: PCM samples per packet, and the PCM gathered for one.
  size_t opus_packet_samples_ = 0;
  std::vector<int16_t> pending_pcm_;
  size_t pending_pcm_samples_ = 0;
  uint32_t pending_timestamp_ = 0;
  bool pending_marker_ = false;
  uint32_t reported_statuses_ = 0; // bit per RtpStatus already reported once
  uint32_t reported_refusals_ = 0; // bit per MediaRefusal already reported once
  Stats stats_;
};

}  // namespace parley

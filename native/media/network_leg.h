// The caller-facing side of a media session. An RTP leg (UDP or packets handed over by JS, with
// jitter buffer and codec) and a PCM leg (Asterisk's chan_websocket slin16 frames) look the same
// to the session: one frame of caller audio in, one frame of bot audio out, per 20 ms tick, both
// at the bot's sample rate.
#pragma once

#include <cstddef>
#include <cstdint>

#include "media/session_event.h"
#include "net/udp_socket.h"

namespace parley {

class RtpLeg;
class PcmLeg;
class RateBridge;

class NetworkLeg {
 public:
  virtual ~NetworkLeg() = default;

  // Writes one frame (frame_samples at the bot rate) of caller audio into `out` for the frame
  // that starts at `frame_time_us`. Concealment and silence are the leg's business: it always
  // produces a frame. DTMF digits detected on the way are reported to `events`. Returns the same
  // frame at speech_rate_hz() (`out` itself, or the leg's own copy before resampling, valid until
  // the next call on the leg).
  virtual const int16_t* PullCallerFrame(int64_t frame_time_us, int16_t* out, SessionEventSink& events,
                                         int32_t session_id) = 0;
  // The rate of the frames PullCallerFrame returns, for speech detection.
  virtual int speech_rate_hz() const = 0;
  // Where caller and bot audio change rate, and meet for echo cancellation.
  virtual RateBridge& rates() = 0;
  // Sends one frame of bot audio toward the caller; `frame` is nullptr when the bot is silent.
  // `talkspurt_start` marks the first frame after silence (RTP marker bit, RFC 3551 section 4.1).
  virtual void PushBotFrame(const int16_t* frame, bool talkspurt_start) = 0;
  // Queues DTMF digits toward the caller. False if the leg cannot send them (no telephone-event
  // negotiated, invalid digit, queue full).
  virtual bool SendDtmf(const char* digits, size_t count) = 0;

  // Legs that own a socket expose it so the engine can drain every leg with one epoll pass.
  virtual UdpSocket* socket() { return nullptr; }
  // A second socket for RTCP on the port after RTP's (RFC 3550 section 11) when rtcp-mux was not
  // negotiated; its datagrams go to OnRtcpDatagram.
  virtual UdpSocket* rtcp_socket() { return nullptr; }
  virtual void OnRtcpDatagram(const uint8_t*, size_t, const SocketAddress&, int64_t, SessionEventSink&, int32_t) {}
  // One datagram from the network (from the leg's socket, or handed over by JS for legs whose
  // transport lives in JS). `arrival_us` is on the engine's monotonic clock.
  virtual void OnDatagram(const uint8_t*, size_t, const SocketAddress&, int64_t, SessionEventSink&, int32_t) {}
  // True once the leg has media to process; until then the session hands the bot silence
  // without running its detectors.
  virtual bool active() const { return true; }
  // Frames the session skipped while idle (nothing received, nothing to send): a leg with a media
  // clock lets it run on, so the next talkspurt's timestamp tells the real gap.
  virtual void SkipFrames(int64_t) {}
  // Adds the leg's refused datagrams, by MediaRefusal, to `totals` (kMediaRefusalCount entries).
  virtual void AddRefusals(uint64_t*) const {}
  // Stops (or resumes) sending toward the caller, e.g. on chan_websocket's MEDIA_XOFF/XON.
  virtual void set_paused(bool) {}

  // The concrete leg, for the few controls only one kind has (the addon is built without RTTI).
  virtual RtpLeg* AsRtp() { return nullptr; }
  virtual PcmLeg* AsPcm() { return nullptr; }
};

}  // namespace parley

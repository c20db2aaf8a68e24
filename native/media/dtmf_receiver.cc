#include "media/dtmf_receiver.h"

namespace parley {

bool DtmfReceiver::Finish(DtmfDigit* out) {
  active_ = false;
  finished_any_ = true;
  finished_timestamp_ = timestamp_;
  const char digit = TelephoneEvent::DigitOf(event_);
  if (digit == '\0') return false;  // flash and tones outside DTMF are not digits
  out->digit = digit;
  out->duration_ms = static_cast<int>(static_cast<int64_t>(duration_) * 1000 / clock_rate_hz_);
  return true;
}

bool DtmfReceiver::OnPacket(uint32_t rtp_timestamp, const TelephoneEvent& event, int64_t arrival_us,
                            DtmfDigit* out) {
  // The RTP timestamp names the event (RFC 4733 section 2.5.1.2): the retransmitted end packets of
  // a finished event, or late packets of an older one, carry a timestamp at or before it.
  const bool is_current = active_ && rtp_timestamp == timestamp_;
  if (!is_current && finished_any_ && static_cast<int32_t>(rtp_timestamp - finished_timestamp_) <= 0) return false;
  bool reported = false;
  if (active_ && !is_current) reported = Finish(out);  // a new event began before the old one ended
  if (!active_) {
    active_ = true;
    timestamp_ = rtp_timestamp;
    event_ = event.event;
    duration_ = 0;
  }
  if (event.duration > duration_) duration_ = event.duration;
  last_packet_us_ = arrival_us;
  // One report per call: a new event that also ends here is reported by its retransmitted end
  // packets or by Poll.
  if (event.end && !reported) return Finish(out);
  return reported;
}

bool DtmfReceiver::Poll(int64_t now_us, DtmfDigit* out) {
  if (!active_ || now_us - last_packet_us_ < kEndTimeoutUs) return false;
  return Finish(out);
}

}  // namespace parley

// libopus decoder for one voice channel, with its own loss concealment and in-band FEC recovery.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

struct OpusDecoder;

namespace parley {

class OpusFrameDecoder {
 public:
  explicit OpusFrameDecoder(int sample_rate_hz);
  ~OpusFrameDecoder();
  OpusFrameDecoder(const OpusFrameDecoder&) = delete;
  OpusFrameDecoder& operator=(const OpusFrameDecoder&) = delete;

  // Each returns the samples written (= frame_samples) or a negative libopus error.
  int Decode(const uint8_t* payload, size_t length, int16_t* out, size_t frame_samples);
  // Recovers the frame BEFORE `next_payload` from its in-band FEC data (RFC 6716 section 2.1.7);
  // libopus falls back to PLC when the packet carries none.
  int DecodeFec(const uint8_t* next_payload, size_t length, int16_t* out, size_t frame_samples);
  // Packet-loss concealment: extrapolates from the decoder's state (after a DTX packet, libopus's
  // comfort noise). Any length, run in 10 ms steps, the rest of the last step kept for the next
  // call (a decode drops it): libopus takes 2.5 ms steps, but SILK conceals 10 ms frames only, and
  // a shorter step came out as zeros, a click in the middle of the concealment.
  int Conceal(int16_t* out, size_t frame_samples);

 private:
  ::OpusDecoder* decoder_;
  size_t step_samples_;                // 10 ms at the decoder's rate
  std::vector<int16_t> step_;          // one concealment step
  size_t step_left_ = 0;               // its last samples not yet handed out
};

}  // namespace parley

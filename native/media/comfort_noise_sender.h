// The send side of RFC 3389 comfort noise, on a leg where CN was negotiated: what each outbound
// frame becomes. A frame of silence (no bot audio, or audio below kSilenceLevel) is not sent as
// audio: a silence period starts with a SID packet carrying the noise level, and SIDs follow
// every kUpdateMs or when the level moves by kLevelStepDb (RFC 3389 section 4: the sender decides
// when to update; 200 ms keeps a receiver that joined late or lost a SID close to the level). The
// first audio frame after silence starts a talkspurt (RFC 3551 section 4.1: marker bit).
//
// Level only (spectral model order 0, RFC 3389 section 3.2): the bot's silence has no spectrum
// worth describing. Pure: frames in, actions out; the leg sends.
#pragma once

#include <cstddef>
#include <cstdint>

namespace parley {

enum class ComfortNoiseAction : uint8_t {
  kAudio,           // send the frame as audio
  kAudioAfterSilence,  // send it as audio with the marker bit: the silence is over
  kSid,             // send a CN packet with `level`
  kNothing,         // silence goes on at the level last sent
};

class ComfortNoiseSender {
 public:
  // Level bytes (-dBov) at or above this are silence: -60 dBov is below any speech a bot sends.
  static constexpr uint8_t kSilenceLevel = 60;
  static constexpr int kUpdateMs = 200;
  static constexpr int kLevelStepDb = 3;

  explicit ComfortNoiseSender(int frame_ms) : update_frames_(kUpdateMs / frame_ms) {}

  // `pcm` null: no audio at all (the bot is silent). `level` is written for kSid.
  ComfortNoiseAction Next(const int16_t* pcm, size_t samples, uint8_t* level);
  // The leg sent nothing for a while (paused, DTMF): the next silence starts with a SID.
  void Reset() { silent_ = false; }

 private:
  int update_frames_;
  bool silent_ = false;
  uint8_t sent_level_ = 0;
  int frames_since_sid_ = 0;
};

}  // namespace parley

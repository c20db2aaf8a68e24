#include "media/comfort_noise_sender.h"

#include <cmath>
#include <cstdlib>

#include "dsp/comfort_noise.h"

namespace parley {

ComfortNoiseAction ComfortNoiseSender::Next(const int16_t* pcm, size_t samples, uint8_t* level) {
  double energy = 0;
  for (size_t i = 0; pcm != nullptr && i < samples; ++i) energy += static_cast<double>(pcm[i]) * pcm[i];
  const float rms = samples > 0 ? static_cast<float>(std::sqrt(energy / static_cast<double>(samples))) : 0.0f;
  const uint8_t frame_level = ComfortNoise::LevelFromRms(rms);
  if (frame_level < kSilenceLevel) {
    const bool after_silence = silent_;
    silent_ = false;
    return after_silence ? ComfortNoiseAction::kAudioAfterSilence : ComfortNoiseAction::kAudio;
  }
  ++frames_since_sid_;
  if (silent_ && frames_since_sid_ < update_frames_ && std::abs(frame_level - sent_level_) < kLevelStepDb) {
    return ComfortNoiseAction::kNothing;
  }
  silent_ = true;
  sent_level_ = frame_level;
  frames_since_sid_ = 0;
  *level = frame_level;
  return ComfortNoiseAction::kSid;
}

}  // namespace parley

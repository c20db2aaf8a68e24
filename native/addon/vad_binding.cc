// JS face of the VAD for evaluation and tools: a whole buffer in one crossing, one decision per
// frame back. Sessions run the same class natively, per frame, without crossing.
#include <napi.h>

#include <memory>
#include <string>

#include "addon/errors.h"
#include "addon/js_args.h"
#include "addon/module_registry.h"
#include "dsp/vad.h"

namespace parley::addon {
namespace {

class VadBinding : public Napi::ObjectWrap<VadBinding> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Vad", {InstanceMethod("process", &VadBinding::Process)});
  }

  // new Vad({ sampleRateHz, frameMs, aggressiveness, hangoverMs })
  explicit VadBinding(const Napi::CallbackInfo& info) : Napi::ObjectWrap<VadBinding>(info) {
    Napi::Env env = info.Env();
    Napi::Object options = ObjectArg(info, 0);
    const int rate_hz = IntOption(env, options, "sampleRateHz", 16000, 8000, 48000);
    const int frame_ms = IntOption(env, options, "frameMs", 20, 10, 30);
    const int aggressiveness = IntOption(env, options, "aggressiveness", 2, 0, 3);
    const int hangover_ms = IntOption(env, options, "hangoverMs", 300, 0, 2000);
    if (!IsSupportedRate(rate_hz)) throw MakeError(env, kInvalidArgument, "sampleRateHz must be 8000, 16000, 24000 or 48000");
    if (frame_ms != 10 && frame_ms != 20 && frame_ms != 30) throw MakeError(env, kInvalidArgument, "frameMs must be 10, 20 or 30");
    frame_samples_ = static_cast<size_t>(rate_hz / 1000 * frame_ms);
    vad_ = std::make_unique<Vad>(rate_hz, frame_samples_, aggressiveness, hangover_ms);
  }

 private:
  // process(pcm) -> Uint8Array, one entry per frame: bit 0 the decision (with hangover), bit 1
  // the frame's own raw decision. The length must be a whole number of frames.
  Napi::Value Process(const Napi::CallbackInfo& info) {
    Napi::Int16Array pcm = Int16Arg(info, 0);
    if (pcm.ElementLength() % frame_samples_ != 0) {
      throw MakeError(info.Env(), kInvalidArgument, "pcm length must be a multiple of " + std::to_string(frame_samples_) + " samples");
    }
    const size_t frames = pcm.ElementLength() / frame_samples_;
    Napi::Uint8Array decisions = Napi::Uint8Array::New(info.Env(), frames);
    for (size_t i = 0; i < frames; ++i) {
      const bool speech = vad_->Process(pcm.Data() + i * frame_samples_, frame_samples_);
      decisions[i] = static_cast<uint8_t>((speech ? 1 : 0) | (vad_->last_raw() ? 2 : 0));
    }
    return decisions;
  }

  size_t frame_samples_ = 0;
  std::unique_ptr<Vad> vad_;
};

void Init(Napi::Env env, Napi::Object exports) { exports.Set("Vad", VadBinding::Define(env)); }

}  // namespace

PARLEY_ADDON_MODULE(vad, Init);

}  // namespace parley::addon

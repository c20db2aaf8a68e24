// JS face of the native Opus frame codec (48 kHz mono voice): one crossing per frame, into
// caller-supplied arrays, so the bench can set the addon's cost beside raw libopus.
#include <napi.h>

#include <memory>
#include <stdexcept>

#include "addon/errors.h"
#include "addon/js_args.h"
#include "addon/module_registry.h"
#include "codec/opus_decoder.h"
#include "codec/opus_encoder.h"

namespace parley::addon {
namespace {

constexpr int kSampleRateHz = 48000;

class OpusCodecBinding : public Napi::ObjectWrap<OpusCodecBinding> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "OpusCodec",
                       {InstanceMethod("encode", &OpusCodecBinding::Encode), InstanceMethod("decode", &OpusCodecBinding::Decode)});
  }

  // new OpusCodec({ bitrateBps, complexity, fec })
  explicit OpusCodecBinding(const Napi::CallbackInfo& info) : Napi::ObjectWrap<OpusCodecBinding>(info) {
    Napi::Object options = ObjectArg(info, 0);
    OpusEncoderOptions encoder;
    encoder.sample_rate_hz = kSampleRateHz;
    encoder.bitrate_bps = IntOption(info.Env(), options, "bitrateBps", encoder.bitrate_bps);
    encoder.complexity = IntOption(info.Env(), options, "complexity", encoder.complexity);
    encoder.in_band_fec = BoolOption(info.Env(), options, "fec", encoder.in_band_fec);
    try {
      encoder_ = std::make_unique<OpusFrameEncoder>(encoder);
      decoder_ = std::make_unique<OpusFrameDecoder>(kSampleRateHz);
    } catch (const std::invalid_argument& error) {
      throw MakeError(info.Env(), kInvalidArgument, error.what());
    }
  }

 private:
  // encode(pcm, out) -> packet bytes written to out.
  Napi::Value Encode(const Napi::CallbackInfo& info) {
    Napi::Int16Array pcm = Int16Arg(info, 0);
    Napi::Uint8Array out = Uint8Arg(info, 1);
    const int written = encoder_->Encode(pcm.Data(), pcm.ElementLength(), out.Data(), out.ElementLength());
    if (written < 0) throw MakeError(info.Env(), kCodecFailure, "opus_encode failed");
    return Napi::Number::New(info.Env(), written);
  }

  // decode(packet, out) -> samples written to out (one frame: out's length).
  Napi::Value Decode(const Napi::CallbackInfo& info) {
    Napi::Uint8Array packet = Uint8Arg(info, 0);
    Napi::Int16Array out = Int16Arg(info, 1);
    const int written = decoder_->Decode(packet.Data(), packet.ElementLength(), out.Data(), out.ElementLength());
    if (written < 0) throw MakeError(info.Env(), kCodecFailure, "opus_decode failed");
    return Napi::Number::New(info.Env(), written);
  }

  std::unique_ptr<OpusFrameEncoder> encoder_;
  std::unique_ptr<OpusFrameDecoder> decoder_;
};

void Init(Napi::Env env, Napi::Object exports) { exports.Set("OpusCodec", OpusCodecBinding::Define(env)); }

}  // namespace

PARLEY_ADDON_MODULE(opusCodec, Init);

}  // namespace parley::addon

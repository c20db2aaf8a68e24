// JS face of the Transcoder: one crossing per 20 ms frame, whatever the pair of codecs.
#include <napi.h>

#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

#include "addon/errors.h"
#include "addon/js_args.h"
#include "addon/module_registry.h"
#include "codec/transcoder.h"

namespace parley::addon {
namespace {

CodecId CodecOption(Napi::Env env, const Napi::Object& options, const char* key) {
  const std::string name = StringOption(env, options, key, "");
  const CodecInfo* codec = CodecTable::FindByName(name.c_str());
  if (codec == nullptr) throw MakeError(env, kUnsupported, std::string("unknown codec for ") + key + ": \"" + name + "\"");
  return codec->id;
}

class TranscoderBinding : public Napi::ObjectWrap<TranscoderBinding> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Transcoder", {InstanceMethod("transcode", &TranscoderBinding::Transcode)});
  }

  // new Transcoder({ from, to, opusBitrateBps?, opusComplexity?, opusFec? })
  explicit TranscoderBinding(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TranscoderBinding>(info) {
    Napi::Env env = info.Env();
    const Napi::Object options = ObjectArg(info, 0);
    const CodecId from = CodecOption(env, options, "from");
    const CodecId to = CodecOption(env, options, "to");
    FrameEncoderOptions encoder;
    encoder.opus_bitrate_bps = IntOption(env, options, "opusBitrateBps", encoder.opus_bitrate_bps, 6000, 510'000);
    encoder.opus_complexity = IntOption(env, options, "opusComplexity", encoder.opus_complexity, 0, 10);
    encoder.opus_fec = BoolOption(env, options, "opusFec", encoder.opus_fec);
    try {
      transcoder_ = std::make_unique<Transcoder>(from, to, encoder);
    } catch (const std::invalid_argument& error) {
      throw MakeError(env, kInvalidArgument, error.what());
    }
  }

 private:
  Napi::Value Transcode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const Napi::Uint8Array frame = Uint8Arg(info, 0);
    size_t written = 0;
    const TranscodeStatus status =
        transcoder_->Transcode(frame.Data(), frame.ByteLength(), output_, sizeof(output_), &written);
    switch (status) {
      case TranscodeStatus::kOk:
        break;
      case TranscodeStatus::kBadFrameSize: {
        const CodecInfo& from = transcoder_->from();
        const std::string expected = from.bytes_per_frame > 0 ? std::to_string(from.bytes_per_frame) : "1.." + std::to_string(Transcoder::kMaxOpusPayloadBytes);
        throw MakeError(env, kInvalidArgument, std::string("a 20 ms ") + from.name + " frame is " + expected + " bytes, got " + std::to_string(frame.ByteLength()));
      }
      case TranscodeStatus::kDecodeFailed:
        throw MakeError(env, kCodecFailure, std::string("cannot decode the ") + transcoder_->from().name + " frame");
      case TranscodeStatus::kEncodeFailed:
        throw MakeError(env, kCodecFailure, std::string("cannot encode to ") + transcoder_->to().name);
    }
    Napi::Uint8Array result = Napi::Uint8Array::New(env, written);
    std::memcpy(result.Data(), output_, written);
    return result;
  }

  std::unique_ptr<Transcoder> transcoder_;
  uint8_t output_[Transcoder::kMaxOutputBytes];
};

void Init(Napi::Env env, Napi::Object exports) { exports.Set("Transcoder", TranscoderBinding::Define(env)); }

}  // namespace

PARLEY_ADDON_MODULE(transcoder, Init);

}  // namespace parley::addon

// JS face of the Resampler: one crossing per frame (or per whole buffer).
#include <napi.h>

#include <memory>

#include "addon/errors.h"
#include "addon/js_args.h"
#include "addon/module_registry.h"
#include "dsp/resampler.h"

namespace parley::addon {
namespace {

class ResamplerBinding : public Napi::ObjectWrap<ResamplerBinding> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Resampler",
                       {InstanceMethod("process", &ResamplerBinding::Process),
                        InstanceMethod("processInto", &ResamplerBinding::ProcessInto),
                        InstanceMethod("reset", &ResamplerBinding::Reset),
                        InstanceAccessor("delayMs", &ResamplerBinding::DelayMs, nullptr)});
  }

  explicit ResamplerBinding(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ResamplerBinding>(info) {
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
      throw MakeError(info.Env(), kInvalidArgument, "Resampler(inputRateHz, outputRateHz)");
    }
    try {
      resampler_ = std::make_unique<Resampler>(info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().Int32Value());
    } catch (const std::invalid_argument& error) {
      throw MakeError(info.Env(), kInvalidArgument, error.what());
    }
  }

 private:
  Napi::Value Process(const Napi::CallbackInfo& info) {
    Napi::Int16Array input = Int16Arg(info, 0);
    Napi::Int16Array output = Napi::Int16Array::New(info.Env(), resampler_->MaxOutputSamples(input.ElementLength()));
    const size_t written = resampler_->Process(input.Data(), input.ElementLength(), output.Data());
    return Napi::Int16Array::New(info.Env(), written, output.ArrayBuffer(), 0);
  }

  // processInto(input, output) -> samples written; output must hold MaxOutputSamples.
  Napi::Value ProcessInto(const Napi::CallbackInfo& info) {
    Napi::Int16Array input = Int16Arg(info, 0);
    Napi::Int16Array output = Int16Arg(info, 1);
    if (output.ElementLength() < resampler_->MaxOutputSamples(input.ElementLength())) {
      throw MakeError(info.Env(), kInvalidArgument, "output array too small");
    }
    return Napi::Number::New(info.Env(), static_cast<double>(resampler_->Process(input.Data(), input.ElementLength(), output.Data())));
  }

  Napi::Value Reset(const Napi::CallbackInfo& info) {
    resampler_->Reset();
    return info.Env().Undefined();
  }

  Napi::Value DelayMs(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), resampler_->delay_ms()); }

  std::unique_ptr<Resampler> resampler_;
};

void Init(Napi::Env env, Napi::Object exports) { exports.Set("Resampler", ResamplerBinding::Define(env)); }

}  // namespace

PARLEY_ADDON_MODULE(resampler, Init);

}  // namespace parley::addon

// JS face of the echo canceller for tests and benchmarks: one call per 20 ms frame or per run of
// whole frames, writing into an array the caller reuses. Sessions run the same class natively, per
// frame, without crossing; a benchmark times that cost by handing a whole trace over in one call.
#include <napi.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "addon/errors.h"
#include "addon/js_args.h"
#include "addon/module_registry.h"
#include "dsp/echo_canceller.h"

namespace parley::addon {
namespace {

class EchoCancellerBinding : public Napi::ObjectWrap<EchoCancellerBinding> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "EchoCanceller",
                       {InstanceMethod("process", &EchoCancellerBinding::Process),
                        InstanceMethod("stats", &EchoCancellerBinding::Stats),
                        InstanceAccessor("latencySamples", &EchoCancellerBinding::LatencySamples, nullptr)});
  }

  // new EchoCanceller({ sampleRateHz, maxDelayMs, tailMs, suppressionFloorDb })
  explicit EchoCancellerBinding(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EchoCancellerBinding>(info) {
    Napi::Env env = info.Env();
    Napi::Object options = ObjectArg(info, 0);
    EchoCancellerConfig config;
    config.sample_rate_hz = IntOption(env, options, "sampleRateHz", config.sample_rate_hz, 8000, 16000);
    config.max_delay_ms = IntOption(env, options, "maxDelayMs", config.max_delay_ms, 0, 500);
    config.tail_ms = IntOption(env, options, "tailMs", config.tail_ms, 10, 250);
    config.suppression_floor_db = static_cast<float>(IntOption(env, options, "suppressionFloorDb", static_cast<int>(config.suppression_floor_db), -80, 0));
    try {
      canceller_ = std::make_unique<EchoCanceller>(config);
    } catch (const std::invalid_argument& error) {
      throw MakeError(env, kInvalidArgument, error.what());
    }
  }

 private:
  // process(capture, sent | null, output): the same whole number of frames each, processed frame
  // by frame; output may be capture itself.
  Napi::Value Process(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const size_t frame = canceller_->frame_samples();
    Napi::Int16Array capture = Int16Arg(info, 0);
    const bool has_sent = info.Length() > 1 && !info[1].IsNull() && !info[1].IsUndefined();
    Napi::Int16Array sent = has_sent ? Int16Arg(info, 1) : Napi::Int16Array();
    Napi::Int16Array output = Int16Arg(info, 2);
    const size_t samples = capture.ElementLength();
    if (samples == 0 || samples % frame != 0 || output.ElementLength() != samples ||
        (has_sent && sent.ElementLength() != samples)) {
      throw MakeError(env, kInvalidArgument, "capture, sent and output must be the same whole number of " + std::to_string(frame) + "-sample frames");
    }
    for (size_t at = 0; at < samples; at += frame) {
      canceller_->Process(capture.Data() + at, has_sent ? sent.Data() + at : nullptr, output.Data() + at);
    }
    return env.Undefined();
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    const EchoCancellerStats& stats = canceller_->stats();
    Napi::Object out = Napi::Object::New(info.Env());
    out.Set("delayMs", stats.delay_ms);
    out.Set("delayConfidence", stats.delay_confidence);
    out.Set("erleDb", stats.erle_db);
    out.Set("leakage", stats.leakage);
    out.Set("converged", stats.converged);
    out.Set("resets", stats.resets);
    out.Set("bypassedFrames", static_cast<double>(stats.bypassed_frames));
    return out;
  }

  Napi::Value LatencySamples(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(canceller_->latency_samples()));
  }

  std::unique_ptr<EchoCanceller> canceller_;
};

void Init(Napi::Env env, Napi::Object exports) { exports.Set("EchoCanceller", EchoCancellerBinding::Define(env)); }

}  // namespace

PARLEY_ADDON_MODULE(echo_canceller, Init);

}  // namespace parley::addon

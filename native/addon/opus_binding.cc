// JS face of the libopus frame encoder and decoder: one crossing per 20 ms frame, into a new array
// or a caller-supplied one (encodeInto/decodeInto: no allocation, so a bench sees the codec's own
// cost). Used by tests, benches and the transcode path's checks; live calls keep Opus inside
// MediaSession.
#include <napi.h>
#include <opus.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>

#include "addon/errors.h"
#include "addon/js_args.h"
#include "addon/module_registry.h"
#include "codec/frame_decoder.h"
#include "codec/opus_decoder.h"
#include "codec/opus_encoder.h"

namespace parley::addon {
namespace {

constexpr size_t kMaxPacketBytes = 1275;  // RFC 6716 section 3.4 (R4): the largest frame

size_t FrameSamples(int rate_hz) { return static_cast<size_t>(rate_hz / 50); }

class OpusEncoderBinding : public Napi::ObjectWrap<OpusEncoderBinding> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "OpusEncoder",
                       {InstanceMethod("encode", &OpusEncoderBinding::Encode),
                        InstanceMethod("encodeInto", &OpusEncoderBinding::EncodeInto),
                        InstanceMethod("setBitrate", &OpusEncoderBinding::SetBitrate),
                        InstanceAccessor("frameSamples", &OpusEncoderBinding::FrameSamplesValue, nullptr)});
  }

  // new OpusEncoder({ sampleRateHz, bitrateBps, complexity, fec, expectedLossPct, forceVoice })
  explicit OpusEncoderBinding(const Napi::CallbackInfo& info) : Napi::ObjectWrap<OpusEncoderBinding>(info) {
    Napi::Env env = info.Env();
    Napi::Object options = info.Length() > 0 ? ObjectArg(info, 0) : Napi::Object::New(env);
    OpusEncoderOptions parsed;
    parsed.sample_rate_hz = IntOption(env, options, "sampleRateHz", parsed.sample_rate_hz, 8000, 48000);
    parsed.bitrate_bps = IntOption(env, options, "bitrateBps", parsed.bitrate_bps, 500, 512'000);
    parsed.complexity = IntOption(env, options, "complexity", parsed.complexity, 0, 10);
    parsed.in_band_fec = BoolOption(env, options, "fec", parsed.in_band_fec);
    parsed.expected_loss_pct = IntOption(env, options, "expectedLossPct", parsed.expected_loss_pct, 0, 100);
    parsed.force_voice = BoolOption(env, options, "forceVoice", parsed.force_voice);
    if (!IsOpusPcmRate(parsed.sample_rate_hz)) throw MakeError(env, kInvalidArgument, "sampleRateHz must be 8000, 12000, 16000, 24000 or 48000");
    try {
      encoder_ = std::make_unique<OpusFrameEncoder>(parsed);
    } catch (const std::invalid_argument& error) {
      throw MakeError(env, kInvalidArgument, error.what());
    }
    frame_samples_ = FrameSamples(parsed.sample_rate_hz);
  }

 private:
  // Encodes the frame in argument 0 into `packet`; returns the packet's length in bytes.
  size_t EncodeFrame(const Napi::CallbackInfo& info, uint8_t* packet, size_t capacity) {
    Napi::Int16Array pcm = Int16Arg(info, 0);
    if (pcm.ElementLength() != frame_samples_) {
      throw MakeError(info.Env(), kInvalidArgument, "a frame is " + std::to_string(frame_samples_) + " samples (20 ms)");
    }
    const int bytes = encoder_->Encode(pcm.Data(), frame_samples_, packet, capacity);
    if (bytes < 0) throw MakeError(info.Env(), kCodecFailure, std::string("opus encode: ") + opus_strerror(bytes));
    return static_cast<size_t>(bytes);
  }

  // encode(pcm: one 20 ms frame) -> packet bytes
  Napi::Value Encode(const Napi::CallbackInfo& info) {
    const size_t bytes = EncodeFrame(info, packet_, sizeof(packet_));
    Napi::Uint8Array out = Napi::Uint8Array::New(info.Env(), bytes);
    std::copy(packet_, packet_ + bytes, out.Data());
    return out;
  }

  // encodeInto(pcm, out) -> packet bytes written to the front of out
  Napi::Value EncodeInto(const Napi::CallbackInfo& info) {
    Napi::Uint8Array out = Uint8Arg(info, 1);
    return Napi::Number::New(info.Env(), static_cast<double>(EncodeFrame(info, out.Data(), out.ElementLength())));
  }

  Napi::Value SetBitrate(const Napi::CallbackInfo& info) {
    if (info.Length() < 1 || !info[0].IsNumber() || !encoder_->SetBitrate(info[0].As<Napi::Number>().Int32Value())) {
      throw MakeError(info.Env(), kInvalidArgument, "bitrate must be a positive number of bit/s");
    }
    return info.Env().Undefined();
  }

  Napi::Value FrameSamplesValue(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(frame_samples_)); }

  std::unique_ptr<OpusFrameEncoder> encoder_;
  size_t frame_samples_ = 0;
  uint8_t packet_[kMaxPacketBytes];
};

class OpusDecoderBinding : public Napi::ObjectWrap<OpusDecoderBinding> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "OpusDecoder",
                       {InstanceMethod("decode", &OpusDecoderBinding::Decode),
                        InstanceMethod("decodeInto", &OpusDecoderBinding::DecodeInto),
                        InstanceMethod("decodeFec", &OpusDecoderBinding::DecodeFec),
                        InstanceMethod("conceal", &OpusDecoderBinding::Conceal)});
  }

  // new OpusDecoder(sampleRateHz)
  explicit OpusDecoderBinding(const Napi::CallbackInfo& info) : Napi::ObjectWrap<OpusDecoderBinding>(info) {
    const int rate_hz = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 48000;
    if (!IsOpusPcmRate(rate_hz)) throw MakeError(info.Env(), kInvalidArgument, "sampleRateHz must be 8000, 12000, 16000, 24000 or 48000");
    decoder_ = std::make_unique<OpusFrameDecoder>(rate_hz);
    frame_samples_ = FrameSamples(rate_hz);
  }

 private:
  Napi::Value Finish(Napi::Env env, int result, Napi::Int16Array out) {
    if (result != static_cast<int>(frame_samples_)) {
      throw MakeError(env, kCodecFailure,
                      result < 0 ? std::string("opus decode: ") + opus_strerror(result) : "opus packet is not one 20 ms frame");
    }
    return out;
  }

  Napi::Uint8Array PacketArg(const Napi::CallbackInfo& info) {
    Napi::Uint8Array packet = Uint8Arg(info, 0);
    // An empty payload would silently mean "conceal" to libopus: loss is said with conceal().
    if (packet.ElementLength() == 0) throw MakeError(info.Env(), kCodecFailure, "opus decode: empty packet");
    return packet;
  }

  // decode(packet) -> one frame
  Napi::Value Decode(const Napi::CallbackInfo& info) {
    Napi::Uint8Array packet = PacketArg(info);
    Napi::Int16Array out = Napi::Int16Array::New(info.Env(), frame_samples_);
    return Finish(info.Env(), decoder_->Decode(packet.Data(), packet.ElementLength(), out.Data(), frame_samples_), out);
  }

  // decodeInto(packet, out) -> samples written to the front of out (one frame)
  Napi::Value DecodeInto(const Napi::CallbackInfo& info) {
    Napi::Uint8Array packet = PacketArg(info);
    Napi::Int16Array out = Int16Arg(info, 1);
    if (out.ElementLength() < frame_samples_) {
      throw MakeError(info.Env(), kInvalidArgument, "out must hold one frame of " + std::to_string(frame_samples_) + " samples");
    }
    Finish(info.Env(), decoder_->Decode(packet.Data(), packet.ElementLength(), out.Data(), frame_samples_), out);
    return Napi::Number::New(info.Env(), static_cast<double>(frame_samples_));
  }

  // decodeFec(nextPacket) -> the frame lost before nextPacket, from its in-band FEC (RFC 6716 2.1.7)
  Napi::Value DecodeFec(const Napi::CallbackInfo& info) {
    Napi::Uint8Array packet = PacketArg(info);
    Napi::Int16Array out = Napi::Int16Array::New(info.Env(), frame_samples_);
    return Finish(info.Env(), decoder_->DecodeFec(packet.Data(), packet.ElementLength(), out.Data(), frame_samples_), out);
  }

  // conceal() -> one frame of packet-loss concealment
  Napi::Value Conceal(const Napi::CallbackInfo& info) {
    Napi::Int16Array out = Napi::Int16Array::New(info.Env(), frame_samples_);
    return Finish(info.Env(), decoder_->Conceal(out.Data(), frame_samples_), out);
  }

  std::unique_ptr<OpusFrameDecoder> decoder_;
  size_t frame_samples_ = 0;
};

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("OpusEncoder", OpusEncoderBinding::Define(env));
  exports.Set("OpusDecoder", OpusDecoderBinding::Define(env));
}

}  // namespace

PARLEY_ADDON_MODULE(opus, Init);

}  // namespace parley::addon

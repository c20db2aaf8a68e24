// JS face of SrtpContext (one crossing per packet) and of the two primitives RFC 3711 publishes
// test vectors for (AES-CM keystream, Appendix B.2; key derivation, B.3). A refused packet
// returns its SrtpStatus name instead of throwing: on the receive path it is an expected event.
#include <napi.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>

#include "addon/errors.h"
#include "addon/js_args.h"
#include "addon/module_registry.h"
#include "rtp/aes_cm_cipher.h"
#include "rtp/srtp_context.h"
#include "rtp/srtp_key_derivation.h"

namespace parley::addon {
namespace {

using PacketOp = SrtpStatus (SrtpContext::*)(uint8_t*, size_t, size_t, size_t*);
using UnprotectOp = SrtpStatus (SrtpContext::*)(uint8_t*, size_t, size_t*);

Napi::Uint8Array ExactBytes(const Napi::CallbackInfo& info, size_t index, size_t length, const char* name) {
  Napi::Uint8Array bytes = Uint8Arg(info, index);
  if (bytes.ElementLength() != length) throw MakeError(info.Env(), kInvalidArgument, std::string(name) + " must be " + std::to_string(length) + " bytes");
  return bytes;
}

double NumberArg(const Napi::CallbackInfo& info, size_t index, double max, const char* name) {
  if (info.Length() <= index || !info[index].IsNumber()) throw MakeError(info.Env(), kInvalidArgument, std::string(name) + " must be a number");
  const double value = info[index].As<Napi::Number>().DoubleValue();
  if (!(value >= 0 && value <= max) || value != static_cast<double>(static_cast<uint64_t>(value))) {
    throw MakeError(info.Env(), kInvalidArgument, std::string(name) + " out of range");
  }
  return value;
}

class SrtpBinding : public Napi::ObjectWrap<SrtpBinding> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "SrtpSession",
                       {InstanceMethod("protectRtp", &SrtpBinding::Protect<&SrtpContext::ProtectRtp>),
                        InstanceMethod("unprotectRtp", &SrtpBinding::Unprotect<&SrtpContext::UnprotectRtp>),
                        InstanceMethod("protectRtcp", &SrtpBinding::Protect<&SrtpContext::ProtectRtcp>),
                        InstanceMethod("unprotectRtcp", &SrtpBinding::Unprotect<&SrtpContext::UnprotectRtcp>),
                        InstanceAccessor("rolloverCounter", &SrtpBinding::RolloverCounter, nullptr),
                        InstanceAccessor("receiveStreams", &SrtpBinding::ReceiveStreams, nullptr)});
  }

  // new SrtpSession(profile, masterKey: 16 bytes, masterSalt: 14 bytes)
  explicit SrtpBinding(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SrtpBinding>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsString()) throw MakeError(env, kInvalidArgument, "SrtpSession(profile, masterKey, masterSalt)");
    const std::string name = info[0].As<Napi::String>().Utf8Value();
    SrtpProfile profile;
    if (!ParseSrtpProfile(name.c_str(), &profile)) throw MakeError(env, kUnsupported, "unsupported SRTP profile: " + name);
    Napi::Uint8Array key = ExactBytes(info, 1, 16, "masterKey");
    Napi::Uint8Array salt = ExactBytes(info, 2, 14, "masterSalt");
    try {
      context_ = std::make_unique<SrtpContext>(profile, key.Data(), salt.Data());
    } catch (const std::runtime_error& error) {
      throw MakeError(env, kInvalidState, error.what());
    }
  }

 private:
  // Copies the packet into a new array with room for the trailer and protects it there.
  template <PacketOp op>
  Napi::Value Protect(const Napi::CallbackInfo& info) {
    Napi::Uint8Array input = Uint8Arg(info, 0);
    const size_t capacity = input.ElementLength() + SrtpContext::kMaxTrailerBytes;
    Napi::Uint8Array out = Napi::Uint8Array::New(info.Env(), capacity);
    std::copy(input.Data(), input.Data() + input.ElementLength(), out.Data());
    size_t length = 0;
    const SrtpStatus status = (context_.get()->*op)(out.Data(), input.ElementLength(), capacity, &length);
    if (status != SrtpStatus::kOk) return Napi::String::New(info.Env(), SrtpStatusName(status));
    return Napi::Uint8Array::New(info.Env(), length, out.ArrayBuffer(), 0);
  }

  template <UnprotectOp op>
  Napi::Value Unprotect(const Napi::CallbackInfo& info) {
    Napi::Uint8Array input = Uint8Arg(info, 0);
    Napi::Uint8Array out = Napi::Uint8Array::New(info.Env(), input.ElementLength());
    std::copy(input.Data(), input.Data() + input.ElementLength(), out.Data());
    size_t length = 0;
    const SrtpStatus status = (context_.get()->*op)(out.Data(), input.ElementLength(), &length);
    if (status != SrtpStatus::kOk) return Napi::String::New(info.Env(), SrtpStatusName(status));
    return Napi::Uint8Array::New(info.Env(), length, out.ArrayBuffer(), 0);
  }

  Napi::Value RolloverCounter(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), context_->rollover_counter()); }
  Napi::Value ReceiveStreams(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(context_->receive_streams()));
  }

  std::unique_ptr<SrtpContext> context_;
};

// aesCmKeystream(sessionKey: 16, sessionSalt: 14, ssrc, index, length) -> keystream bytes
Napi::Value AesCmKeystream(const Napi::CallbackInfo& info) {
  Napi::Uint8Array key = ExactBytes(info, 0, 16, "sessionKey");
  Napi::Uint8Array salt = ExactBytes(info, 1, 14, "sessionSalt");
  const auto ssrc = static_cast<uint32_t>(NumberArg(info, 2, 0xffffffff, "ssrc"));
  const auto index = static_cast<uint64_t>(NumberArg(info, 3, 281474976710655.0, "index"));  // 48 bits
  const auto length = static_cast<size_t>(NumberArg(info, 4, 1 << 20, "length"));
  Napi::Uint8Array out = Napi::Uint8Array::New(info.Env(), length);  // zeros: XOR leaves the keystream
  try {
    AesCmCipher cipher(key.Data());
    if (!cipher.Apply(salt.Data(), ssrc, index, out.Data(), length)) throw std::runtime_error("AES-CM failed");
  } catch (const std::runtime_error& error) {
    throw MakeError(info.Env(), kInvalidState, error.what());
  }
  return out;
}

// deriveSrtpKey(masterKey: 16, masterSalt: 14, label, length) -> session key bytes (kdr = 0)
Napi::Value DeriveKey(const Napi::CallbackInfo& info) {
  Napi::Uint8Array key = ExactBytes(info, 0, 16, "masterKey");
  Napi::Uint8Array salt = ExactBytes(info, 1, 14, "masterSalt");
  const auto label = static_cast<SrtpKeyLabel>(NumberArg(info, 2, 5, "label"));
  const auto length = static_cast<size_t>(NumberArg(info, 3, 256, "length"));
  Napi::Uint8Array out = Napi::Uint8Array::New(info.Env(), length);
  if (!DeriveSrtpKey(key.Data(), salt.Data(), label, out.Data(), length)) throw MakeError(info.Env(), kInvalidState, "key derivation failed");
  return out;
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("SrtpSession", SrtpBinding::Define(env));
  exports.Set("aesCmKeystream", Napi::Function::New(env, AesCmKeystream));
  exports.Set("deriveSrtpKey", Napi::Function::New(env, DeriveKey));
}

}  // namespace

PARLEY_ADDON_MODULE(srtp, Init);

}  // namespace parley::addon

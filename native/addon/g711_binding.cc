// JS face of G.711: whole frames per call, into caller-supplied arrays when the caller wants to
// avoid an allocation per frame.
#include <napi.h>

#include "addon/errors.h"
#include "addon/js_args.h"
#include "addon/module_registry.h"
#include "codec/g711.h"

namespace parley::addon {
namespace {

using EncodeFn = void (*)(const int16_t*, size_t, uint8_t*);
using DecodeFn = void (*)(const uint8_t*, size_t, int16_t*);

template <EncodeFn encode>
Napi::Value Encode(const Napi::CallbackInfo& info) {
  Napi::Int16Array pcm = Int16Arg(info, 0);
  if (info.Length() > 1) {
    Napi::Uint8Array out = Uint8Arg(info, 1);
    if (out.ElementLength() < pcm.ElementLength()) throw MakeError(info.Env(), kInvalidArgument, "output array too small");
    encode(pcm.Data(), pcm.ElementLength(), out.Data());
    return out;
  }
  Napi::Uint8Array out = Napi::Uint8Array::New(info.Env(), pcm.ElementLength());
  encode(pcm.Data(), pcm.ElementLength(), out.Data());
  return out;
}

template <DecodeFn decode>
Napi::Value Decode(const Napi::CallbackInfo& info) {
  Napi::Uint8Array codes = Uint8Arg(info, 0);
  if (info.Length() > 1) {
    Napi::Int16Array out = Int16Arg(info, 1);
    if (out.ElementLength() < codes.ElementLength()) throw MakeError(info.Env(), kInvalidArgument, "output array too small");
    decode(codes.Data(), codes.ElementLength(), out.Data());
    return out;
  }
  Napi::Int16Array out = Napi::Int16Array::New(info.Env(), codes.ElementLength());
  decode(codes.Data(), codes.ElementLength(), out.Data());
  return out;
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("encodeUlaw", Napi::Function::New(env, Encode<g711::EncodeUlaw>));
  exports.Set("decodeUlaw", Napi::Function::New(env, Decode<g711::DecodeUlaw>));
  exports.Set("encodeAlaw", Napi::Function::New(env, Encode<g711::EncodeAlaw>));
  exports.Set("decodeAlaw", Napi::Function::New(env, Decode<g711::DecodeAlaw>));
}

}  // namespace

PARLEY_ADDON_MODULE(g711, Init);

}  // namespace parley::addon

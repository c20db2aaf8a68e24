#include "addon/js_args.h"

#include <cstring>

#include "addon/errors.h"

namespace parley::addon {
namespace {

Napi::Value Required(const Napi::CallbackInfo& info, size_t index) {
  if (info.Length() <= index) throw MakeError(info.Env(), kInvalidArgument, "argument " + std::to_string(index) + " is missing");
  return info[index];
}

template <typename Array>
Array TypedArg(const Napi::CallbackInfo& info, size_t index, napi_typedarray_type type, const char* name) {
  Napi::Value value = Required(info, index);
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != type) {
    throw MakeError(info.Env(), kInvalidArgument, "argument " + std::to_string(index) + " must be " + name);
  }
  return value.As<Array>();
}

}  // namespace

Napi::Object ObjectArg(const Napi::CallbackInfo& info, size_t index) {
  Napi::Value value = Required(info, index);
  if (!value.IsObject()) throw MakeError(info.Env(), kInvalidArgument, "argument " + std::to_string(index) + " must be an object");
  return value.As<Napi::Object>();
}

Napi::Int16Array Int16Arg(const Napi::CallbackInfo& info, size_t index) {
  return TypedArg<Napi::Int16Array>(info, index, napi_int16_array, "an Int16Array");
}

Napi::Uint8Array Uint8Arg(const Napi::CallbackInfo& info, size_t index) {
  return TypedArg<Napi::Uint8Array>(info, index, napi_uint8_array, "a Uint8Array");
}

int IntOption(Napi::Env env, const Napi::Object& options, const char* key, int fallback) {
  if (!options.Has(key) || options.Get(key).IsUndefined()) return fallback;
  Napi::Value value = options.Get(key);
  if (!value.IsNumber()) throw MakeError(env, kInvalidArgument, std::string(key) + " must be a number");
  return value.As<Napi::Number>().Int32Value();
}

bool BoolOption(Napi::Env env, const Napi::Object& options, const char* key, bool fallback) {
  if (!options.Has(key) || options.Get(key).IsUndefined()) return fallback;
  Napi::Value value = options.Get(key);
  if (!value.IsBoolean()) throw MakeError(env, kInvalidArgument, std::string(key) + " must be a boolean");
  return value.As<Napi::Boolean>().Value();
}

std::string StringOption(Napi::Env env, const Napi::Object& options, const char* key, const std::string& fallback) {
  if (!options.Has(key) || options.Get(key).IsUndefined()) return fallback;
  Napi::Value value = options.Get(key);
  if (!value.IsString()) throw MakeError(env, kInvalidArgument, std::string(key) + " must be a string");
  return value.As<Napi::String>().Utf8Value();
}

void BytesOption(Napi::Env env, const Napi::Object& options, const char* key, uint8_t* out, size_t length) {
  Napi::Value value = options.Get(key);
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array ||
      value.As<Napi::Uint8Array>().ElementLength() != length) {
    throw MakeError(env, kInvalidArgument, std::string(key) + " must be a Uint8Array of " + std::to_string(length) + " bytes");
  }
  std::memcpy(out, value.As<Napi::Uint8Array>().Data(), length);
}

bool IsSupportedRate(int rate_hz) { return rate_hz == 8000 || rate_hz == 16000 || rate_hz == 24000 || rate_hz == 48000; }

}  // namespace parley::addon

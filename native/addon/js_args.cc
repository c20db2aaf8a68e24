#include "addon/js_args.h"

#include <cmath>
#include <cstring>

#include "addon/errors.h"

namespace parley::addon {
namespace {

Napi::Value Required(const Napi::CallbackInfo& info, size_t index) {
  if (info.Length() <= index) throw MakeError(info.Env(), kInvalidArgument, "argument " + std::to_string(index) + " is missing");
  return info[index];
}

// Napi's TypedArrayOf reads the array's type, length and data itself (two napi_get_typedarray_info
// calls); checking the type beforehand through TypedArray took a third and an IsTypedArray: a bot
// frame's playout and a PCM leg's audio pay this on every message.
template <typename T>
Napi::TypedArrayOf<T> TypedArg(const Napi::CallbackInfo& info, size_t index, napi_typedarray_type type, const char* name) {
  Napi::Value value = Required(info, index);
  try {
    Napi::TypedArrayOf<T> array(info.Env(), value);
    if (array.TypedArrayType() == type) return array;
  } catch (const Napi::Error&) {
    // Not a typed array at all: the same error as one of another type.
  }
  throw MakeError(info.Env(), kInvalidArgument, "argument " + std::to_string(index) + " must be " + name);
}

}  // namespace

Napi::Object ObjectArg(const Napi::CallbackInfo& info, size_t index) {
  Napi::Value value = Required(info, index);
  if (!value.IsObject()) throw MakeError(info.Env(), kInvalidArgument, "argument " + std::to_string(index) + " must be an object");
  return value.As<Napi::Object>();
}

Napi::Int16Array Int16Arg(const Napi::CallbackInfo& info, size_t index) {
  return TypedArg<int16_t>(info, index, napi_int16_array, "an Int16Array");
}

Napi::Uint8Array Uint8Arg(const Napi::CallbackInfo& info, size_t index) {
  return TypedArg<uint8_t>(info, index, napi_uint8_array, "a Uint8Array");
}

Napi::Int32Array Int32Arg(const Napi::CallbackInfo& info, size_t index) {
  return TypedArg<int32_t>(info, index, napi_int32_array, "an Int32Array");
}

namespace {

bool IntegerIn(const Napi::Value& value, double min, double max, double* out) {
  if (!value.IsNumber()) return false;
  const double number = value.As<Napi::Number>().DoubleValue();
  // NaN fails every comparison, so it is refused here too.
  if (!(number >= min && number <= max) || std::trunc(number) != number) return false;
  *out = number;
  return true;
}

}  // namespace

int IntOption(Napi::Env env, const Napi::Object& options, const char* key, int fallback, int min, int max) {
  if (!options.Has(key) || options.Get(key).IsUndefined()) return fallback;
  double number = 0;
  if (!IntegerIn(options.Get(key), min, max, &number)) {
    throw MakeError(env, kInvalidArgument,
                    std::string(key) + " must be an integer in " + std::to_string(min) + ".." + std::to_string(max));
  }
  return static_cast<int>(number);
}

namespace {

int64_t TimeUs(Napi::Env env, const Napi::Value& value, const std::string& name) {
  constexpr double kMaxUs = 9007199254740992.0;  // 2^53
  double number = 0;
  if (!IntegerIn(value, 0, kMaxUs, &number)) throw MakeError(env, kInvalidArgument, name + " must be a time in integer µs within 0..2^53");
  return static_cast<int64_t>(number);
}

}  // namespace

int64_t TimeUsArg(const Napi::CallbackInfo& info, size_t index, int64_t fallback) {
  if (info.Length() <= index || info[index].IsUndefined()) return fallback;
  return TimeUs(info.Env(), info[index], "argument " + std::to_string(index));
}

int64_t TimeUsOption(Napi::Env env, const Napi::Object& options, const char* key, int64_t fallback) {
  if (!options.Has(key) || options.Get(key).IsUndefined()) return fallback;
  return TimeUs(env, options.Get(key), key);
}

int64_t IntegerArg(const Napi::CallbackInfo& info, size_t index, int64_t min, int64_t max, const char* name) {
  double number = 0;
  if (info.Length() <= index || !IntegerIn(info[index], static_cast<double>(min), static_cast<double>(max), &number)) {
    throw MakeError(info.Env(), kInvalidArgument,
                    std::string(name) + " must be an integer in " + std::to_string(min) + ".." + std::to_string(max));
  }
  return static_cast<int64_t>(number);
}

std::string StringArg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  if (info.Length() <= index || !info[index].IsString()) throw MakeError(info.Env(), kInvalidArgument, std::string(name) + " must be a string");
  return info[index].As<Napi::String>().Utf8Value();
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

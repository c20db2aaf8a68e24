// Native errors cross into JS in one shape: an Error whose `code` names a class in engine/errors.ts.
#pragma once

#include <napi.h>

#include <string>

namespace parley::addon {

// Codes understood by engine/errors.ts (mapNativeError).
inline constexpr const char* kInvalidArgument = "ERR_PARLEY_INVALID_ARGUMENT";
inline constexpr const char* kInvalidState = "ERR_PARLEY_INVALID_STATE";
inline constexpr const char* kUnsupported = "ERR_PARLEY_UNSUPPORTED";
inline constexpr const char* kCodecFailure = "ERR_PARLEY_CODEC";

inline Napi::Error MakeError(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  return error;
}

}  // namespace parley::addon

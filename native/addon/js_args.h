// Reading arguments and option objects from JS: every accessor checks the type and throws an
// ERR_PARLEY_INVALID_ARGUMENT error naming what was wrong, so bindings never read a value blind.
#pragma once

#include <napi.h>

#include <string>

namespace parley::addon {

Napi::Object ObjectArg(const Napi::CallbackInfo& info, size_t index);
Napi::Int16Array Int16Arg(const Napi::CallbackInfo& info, size_t index);
Napi::Uint8Array Uint8Arg(const Napi::CallbackInfo& info, size_t index);

int IntOption(Napi::Env env, const Napi::Object& options, const char* key, int fallback);
bool BoolOption(Napi::Env env, const Napi::Object& options, const char* key, bool fallback);
std::string StringOption(Napi::Env env, const Napi::Object& options, const char* key, const std::string& fallback);
// Copies exactly `length` bytes from a Uint8Array option; throws when absent or of another size.
void BytesOption(Napi::Env env, const Napi::Object& options, const char* key, uint8_t* out, size_t length);

bool IsSupportedRate(int rate_hz);

}  // namespace parley::addon

// Reading arguments and option objects from JS: every accessor checks the type and throws an
// ERR_PARLEY_INVALID_ARGUMENT error naming what was wrong, so bindings never read a value blind.
#pragma once

#include <napi.h>

#include <string>

namespace parley::addon {

Napi::Object ObjectArg(const Napi::CallbackInfo& info, size_t index);
Napi::Int16Array Int16Arg(const Napi::CallbackInfo& info, size_t index);
Napi::Uint8Array Uint8Arg(const Napi::CallbackInfo& info, size_t index);
Napi::Int32Array Int32Arg(const Napi::CallbackInfo& info, size_t index);

// An integer option within [min, max]: NaN, infinities, fractions and values out of range are
// refused by name (Int32Value would have wrapped 2^32 + 20 to 20 and NaN to 0, and a zero or
// negative size reached a `% 0` or a std::length_error further in).
int IntOption(Napi::Env env, const Napi::Object& options, const char* key, int fallback, int min, int max);
// An optional microsecond time argument on the monotonic clock: an integer in [0, 2^53] (beyond
// it a double no longer holds every microsecond, and sums of such times would overflow int64).
int64_t TimeUsArg(const Napi::CallbackInfo& info, size_t index, int64_t fallback);
int64_t TimeUsOption(Napi::Env env, const Napi::Object& options, const char* key, int64_t fallback);
// An integer argument within [min, max].
int64_t IntegerArg(const Napi::CallbackInfo& info, size_t index, int64_t min, int64_t max, const char* name);
std::string StringArg(const Napi::CallbackInfo& info, size_t index, const char* name);
bool BoolOption(Napi::Env env, const Napi::Object& options, const char* key, bool fallback);
std::string StringOption(Napi::Env env, const Napi::Object& options, const char* key, const std::string& fallback);
// Copies exactly `length` bytes from a Uint8Array option; throws when absent or of another size.
void BytesOption(Napi::Env env, const Napi::Object& options, const char* key, uint8_t* out, size_t length);

bool IsSupportedRate(int rate_hz);

}  // namespace parley::addon

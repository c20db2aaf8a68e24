// JS face of a Twilio media payload's decode: the base64 text to µ-law bytes to PCM16 at 8 kHz in
// one crossing, into the caller's reused array. The text's sample count comes back whether or not
// the array holds it (then nothing is written, and the caller makes room and calls again), so the
// text is checked before the caller allocates anything for it. A refusal is a negative count
// (engine/native/base64-ulaw.ts names it), not an exception: a bot's malformed message is
// counted, not thrown through the addon.
#include <napi.h>

#include <vector>

#include "addon/errors.h"
#include "addon/js_args.h"
#include "addon/module_registry.h"
#include "codec/base64_decoder.h"
#include "codec/g711.h"

namespace parley::addon {
namespace {

constexpr int kNotBase64 = -1;

// Texts up to this many characters (a bot's 20-40 ms, and 100 ms: 1,068) are copied into buffers
// kept per thread, grown to the longest such text; a longer one (rare) into buffers of its own for
// the call, so no thread keeps more than about 10 KB for the life of the addon whatever a caller
// passes.
constexpr size_t kReusedUnits = 4096;

// One per thread: the addon may load in worker threads.
struct Scratch {
  std::vector<char16_t> text;
  std::vector<uint8_t> bytes;
};
thread_local Scratch scratch;

// At least `length` elements: `reused` grown to it, or `own` for a text over kReusedUnits.
template <typename T>
T* Room(std::vector<T>& reused, std::vector<T>& own, size_t length, size_t units) {
  std::vector<T>& buffer = units <= kReusedUnits ? reused : own;
  if (buffer.size() < length) buffer.resize(length);
  return buffer.data();
}

Napi::Value Decode(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw MakeError(env, kInvalidArgument, "argument 0 must be a string");
  Napi::Int16Array out = Int16Arg(info, 1);
  napi_value payload = info[0];
  // The length in UTF-16 code units, read without copying: a text of no whole groups is refused
  // before it is copied.
  size_t length = 0;
  NAPI_THROW_IF_FAILED(env, napi_get_value_string_utf16(env, payload, nullptr, 0, &length), Napi::Value());
  if (length % 4 != 0) return Napi::Number::New(env, kNotBase64);
  // UTF-16, which the decoder refuses past ASCII itself (codec/base64_decoder.h says why).
  std::vector<char16_t> own_text;
  std::vector<uint8_t> own_bytes;
  char16_t* text = Room(scratch.text, own_text, length + 1, length);  // napi writes a terminating NUL
  NAPI_THROW_IF_FAILED(env, napi_get_value_string_utf16(env, payload, text, length + 1, nullptr), Napi::Value());
  const size_t capacity = base64::MaxDecodedBytes(length);
  uint8_t* bytes = Room(scratch.bytes, own_bytes, capacity, length);
  size_t decoded = 0;
  if (base64::Decode(text, length, bytes, capacity, &decoded) != base64::DecodeStatus::kOk) return Napi::Number::New(env, kNotBase64);
  if (decoded <= out.ElementLength()) g711::DecodeUlaw(bytes, decoded, out.Data());
  return Napi::Number::New(env, static_cast<double>(decoded));
}

void Init(Napi::Env env, Napi::Object exports) { exports.Set("decode", Napi::Function::New(env, Decode)); }

}  // namespace

PARLEY_ADDON_MODULE(base64Ulaw, Init);

}  // namespace parley::addon

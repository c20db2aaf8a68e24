// Which clone of the hot loops (dsp/vector_clones.h) the loader runs on this CPU. Asked of the
// resolver's own test, not read from /proc/cpuinfo: a VM may leave a flag out of the kernel's
// list (`abm`) while CPUID has it, and the loader follows CPUID.
#include <napi.h>

#include "addon/module_registry.h"

namespace parley::addon {
namespace {

Napi::Value VectorClone(const Napi::CallbackInfo& info) {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  return Napi::String::New(info.Env(), __builtin_cpu_supports("x86-64-v3") ? "x86-64-v3" : "baseline");
#else
  return Napi::String::New(info.Env(), "single");
#endif
}

void Init(Napi::Env env, Napi::Object exports) { exports.Set("vectorClone", Napi::Function::New(env, VectorClone)); }

}  // namespace

PARLEY_ADDON_MODULE(vector_clone, Init);

}  // namespace parley::addon

// Which clone of the hot loops (dsp/vector_clones.h) the loader runs on this CPU. Asked of the
// resolver's own test, not read from /proc/cpuinfo: a VM may leave a flag out of the kernel's
// list (`abm`) while CPUID has it, and the loader follows CPUID. A build without clones runs
// its one, whatever the CPU.
#include <napi.h>

#include "addon/module_registry.h"
#include "dsp/vector_clones.h"

namespace parley::addon {
namespace {

Napi::Value VectorClone(const Napi::CallbackInfo& info) {
#ifdef PARLEY_VECTOR_CLONES_BUILT
  __builtin_cpu_init();
  return Napi::String::New(info.Env(), __builtin_cpu_supports("x86-64-v3") ? "x86-64-v3" : "baseline");
#elif defined(__x86_64__)
  // Built without clones (vector_clones.h's test turned off): every loop is the baseline's.
  return Napi::String::New(info.Env(), "baseline");
#else
  return Napi::String::New(info.Env(), "single");
#endif
}

void Init(Napi::Env env, Napi::Object exports) { exports.Set("vectorClone", Napi::Function::New(env, VectorClone)); }

}  // namespace

PARLEY_ADDON_MODULE(vector_clone, Init);

}  // namespace parley::addon

#include <napi.h>

#include "addon/module_registry.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  parley::addon::InitModules(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(parley, Init)

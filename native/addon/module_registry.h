// Each addon module registers itself at static-initialisation time, so the addon's entry point
// never has to list the modules and a new module touches no shared file.
#pragma once

#include <napi.h>

namespace parley::addon {

using ModuleInit = void (*)(Napi::Env env, Napi::Object exports);

struct ModuleRegistration {
  ModuleRegistration(const char* name, ModuleInit init);
};

// Calls every registered initialiser with its own sub-object of `exports`.
void InitModules(Napi::Env env, Napi::Object exports);

}  // namespace parley::addon

#define PARLEY_ADDON_MODULE(name, init) \
  static const ::parley::addon::ModuleRegistration parley_module_##name(#name, init)

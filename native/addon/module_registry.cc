#include "addon/module_registry.h"

#include <utility>
#include <vector>

namespace parley::addon {
namespace {

std::vector<std::pair<const char*, ModuleInit>>& Registry() {
  // Function-local so registration order across translation units does not matter.
  static std::vector<std::pair<const char*, ModuleInit>> modules;
  return modules;
}

}  // namespace

ModuleRegistration::ModuleRegistration(const char* name, ModuleInit init) {
  Registry().emplace_back(name, init);
}

void InitModules(Napi::Env env, Napi::Object exports) {
  for (const auto& [name, init] : Registry()) {
    Napi::Object module = Napi::Object::New(env);
    init(env, module);
    exports.Set(name, module);
  }
}

}  // namespace parley::addon

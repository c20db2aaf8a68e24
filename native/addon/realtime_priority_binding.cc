// Round-robin realtime scheduling (SCHED_RR) for the calling thread: a media worker's event loop,
// which runs its calls' media tick. Node offers only nice values (os.setPriority). On a machine
// whose cores are all busy, a worker at the normal class waits behind whatever else is runnable
// (its own V8 and libuv helper threads, the other workers, a load generator) and a wait past a
// frame holds every call of the worker (docs/workers.md, "Realtime priority").
#include <napi.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "addon/errors.h"
#include "addon/js_args.h"
#include "addon/module_registry.h"

namespace parley::addon {
namespace {

// setRealtimePriority(priority: 1..99): the calling thread only (Linux schedules threads, and
// pid 0 is the caller), so the helper threads V8 and libuv already run stay in the normal class;
// SCHED_RESET_ON_FORK puts every thread or process this one starts later (libuv's pool, on its
// first use) in the normal class too. The raw system call, because musl's sched_setscheduler
// is a stub that always fails (ENOSYS).
Napi::Value SetRealtimePriority(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  sched_param param{};
  param.sched_priority = static_cast<int>(IntegerArg(info, 0, sched_get_priority_min(SCHED_RR), sched_get_priority_max(SCHED_RR), "priority"));
  if (syscall(SYS_sched_setscheduler, 0, SCHED_RR | SCHED_RESET_ON_FORK, &param) != 0) {
    const int error = errno;
    // EPERM: neither CAP_SYS_NICE nor a high enough RLIMIT_RTPRIO (or a cgroup without realtime
    // runtime); the caller decides what that means.
    throw MakeError(env, error == EPERM ? kUnsupported : kInvalidState, std::system_error(error, std::generic_category(), "sched_setscheduler(SCHED_RR)").what());
  }
  return env.Undefined();
}

void Init(Napi::Env env, Napi::Object exports) { exports.Set("setRealtimePriority", Napi::Function::New(env, SetRealtimePriority)); }

}  // namespace

PARLEY_ADDON_MODULE(realtime_priority, Init);

}  // namespace parley::addon

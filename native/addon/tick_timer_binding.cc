// A one-shot timer on the monotonic clock, to the microsecond, for the media engine's realtime
// tick: a timerfd (absolute CLOCK_MONOTONIC expiry, no timer slack) watched by the Node event
// loop through a uv_poll handle. Node's setTimeout counts whole milliseconds of the loop's cached
// clock, so a tick aimed at a phase-slot boundary woke up to ~1 ms early (and then waited a whole
// further millisecond for the boundary) or ~1 ms late: 2.9 ms p99 engine latency with only 10
// calls. The loop is woken exactly when a frame falls due, and sleeps in between (no spinning).
#include <napi.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

#include "addon/errors.h"
#include "addon/js_args.h"
#include "addon/module_registry.h"

namespace parley::addon {
namespace {

class TickTimerBinding : public Napi::ObjectWrap<TickTimerBinding> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "TickTimer",
                       {
                           InstanceMethod("aim", &TickTimerBinding::Aim),
                           InstanceMethod("cancel", &TickTimerBinding::Cancel),
                       });
  }

  // new TickTimer(onDue: () => void)
  explicit TickTimerBinding(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TickTimerBinding>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsFunction()) throw MakeError(env, kInvalidArgument, "TickTimer(onDue: () => void)");
    fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (fd_ < 0) throw MakeError(env, kInvalidState, std::system_error(errno, std::generic_category(), "timerfd_create").what());
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    // The handle outlives this object until libuv has closed it (see the destructor).
    poll_ = new uv_poll_t;
    if (loop == nullptr || uv_poll_init(loop, poll_, fd_) != 0) {
      delete poll_;
      close(fd_);
      throw MakeError(env, kInvalidState, "TickTimer: cannot watch its timerfd");
    }
    poll_->data = this;
    on_due_ = Napi::Persistent(info[0].As<Napi::Function>());
  }

  ~TickTimerBinding() override {
    poll_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); });
    close(fd_);
  }

 private:
  // aim(dueUs: number): calls onDue once the monotonic clock reaches `dueUs` (at once if it has).
  // Re-aiming replaces the previous expiry. An aimed timer keeps the event loop alive.
  Napi::Value Aim(const Napi::CallbackInfo& info) {
    const int64_t due_us = static_cast<int64_t>(IntegerArg(info, 0, 1, int64_t{1} << 53, "dueUs"));
    itimerspec spec{};
    spec.it_value.tv_sec = static_cast<time_t>(due_us / 1'000'000);
    spec.it_value.tv_nsec = static_cast<long>(due_us % 1'000'000) * 1000;
    timerfd_settime(fd_, TFD_TIMER_ABSTIME, &spec, nullptr);
    aimed_ = true;
    if (!polling_) {
      uv_poll_start(poll_, UV_READABLE, &TickTimerBinding::OnReadable);
      polling_ = true;
    }
    return info.Env().Undefined();
  }

  // cancel(): disarms the timer; the event loop no longer waits for it.
  Napi::Value Cancel(const Napi::CallbackInfo& info) {
    itimerspec disarm{};
    timerfd_settime(fd_, 0, &disarm, nullptr);
    aimed_ = false;
    StopPolling();
    return info.Env().Undefined();
  }

  void StopPolling() {
    if (!polling_) return;
    uv_poll_stop(poll_);
    polling_ = false;
  }

  static void OnReadable(uv_poll_t* handle, int status, int /*events*/) {
    auto* self = static_cast<TickTimerBinding*>(handle->data);
    if (self == nullptr) return;
    uint64_t expirations = 0;
    // Nothing to read: a re-aim moved the expiry after this wakeup was queued.
    if (read(self->fd_, &expirations, sizeof(expirations)) != sizeof(expirations) && status == 0) return;
    self->aimed_ = false;
    Napi::Env env = self->Env();
    Napi::HandleScope scope(env);
    try {
      self->on_due_.MakeCallback(self->Value(), {});
    } catch (const Napi::Error& error) {
      // As a throwing setTimeout callback would: the process's uncaughtException path.
      napi_fatal_exception(env, error.Value());
    }
    // The callback usually aims again; if not, the loop is free to exit.
    if (!self->aimed_) self->StopPolling();
  }

  int fd_ = -1;
  uv_poll_t* poll_ = nullptr;
  bool polling_ = false;
  bool aimed_ = false;
  Napi::FunctionReference on_due_;
};

void Init(Napi::Env env, Napi::Object exports) { exports.Set("TickTimer", TickTimerBinding::Define(env)); }

}  // namespace

PARLEY_ADDON_MODULE(tickTimer, Init);

}  // namespace parley::addon

// SCHED_RR for the calling thread (native/addon/realtime_priority_binding.cc). Throws
// UnsupportedError when the process may not (no CAP_SYS_NICE, RLIMIT_RTPRIO too low, or a
// cgroup with no realtime runtime), InvalidArgumentError for a priority outside 1..99,
// InvalidStateError when the kernel refuses for another reason.
import { callNative } from '../errors.js';
import { nativeModule } from './addon.js';

export const REALTIME_PRIORITY_MAX = 99;

export function setRealtimePriority(priority: number): void {
  callNative(() => nativeModule<{ setRealtimePriority(priority: number): void }>('realtime_priority').setRealtimePriority(priority));
}

// SCHED_RR for the calling thread (native/addon/realtime_priority_binding.cc): a media worker's
// event loop, which runs its calls' media tick (docs/workers.md, "Realtime priority").
import type { Logger } from 'pino';
import { callNative, UnsupportedError } from '../errors.js';
import { nativeModule } from './addon.js';

export const REALTIME_PRIORITY_MAX = 99;

// Throws UnsupportedError when the process may not (no CAP_SYS_NICE, RLIMIT_RTPRIO too low, or a
// cgroup with no realtime runtime), InvalidArgumentError for a priority outside 1..99,
// InvalidStateError when the kernel refuses for another reason.
export function setRealtimePriority(priority: number): void {
  callNative(() => nativeModule<{ setRealtimePriority(priority: number): void }>('realtime_priority').setRealtimePriority(priority));
}

// The calling thread at SCHED_RR `priority`, or, where that fails, left in the normal class with
// a warning: a media worker that cannot have the priority still serves its calls. True when it
// has it.
export function enterRealtimePriority(priority: number, logger: Logger): boolean {
  try {
    setRealtimePriority(priority);
    logger.info({ priority }, 'media worker: event loop at realtime priority (SCHED_RR)');
    return true;
  } catch (error) {
    const message =
      error instanceof UnsupportedError
        ? 'media worker: realtime priority refused, running at the normal class (grant CAP_SYS_NICE, raise RLIMIT_RTPRIO, or give the cgroup realtime runtime)'
        : 'media worker: realtime priority failed, running at the normal class';
    logger.warn({ err: error, priority }, message);
    return false;
  }
}

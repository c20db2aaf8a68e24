// The realtime media tick's native timer (native/addon/tick_timer_binding.cc): it calls back once
// the monotonic clock reaches its aim, never before, once per aim; a re-aim replaces the expiry and
// a cancel removes it. Each test orders its timers on the monotonic clock: a later timer's call
// says the earlier ones have had their turn (no sleeps).
import { describe, expect, it } from 'vitest';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import { tickTimerModule, type NativeTickTimer } from '../../../engine/media/media-engine-binding.js';

const { TickTimer } = tickTimerModule();
const now = (): number => MediaEngine.monotonicUs();

// A timer that records the monotonic time of each of its calls.
function recorder(): { calls: number[]; timer: NativeTickTimer } {
  const calls: number[] = [];
  return { calls, timer: new TickTimer(() => calls.push(now())) };
}

function fenceAt(dueUs: number): Promise<number> {
  return new Promise((resolve) => new TickTimer(() => resolve(now())).aim(dueUs));
}

describe('TickTimer', () => {
  it('calls back once, not before the monotonic time it was aimed at', async () => {
    const first = recorder();
    const dueUs = now() + 3_000;
    first.timer.aim(dueUs);
    await fenceAt(dueUs + 5_000);
    expect(first.calls).toHaveLength(1);
    expect(first.calls[0]!).toBeGreaterThanOrEqual(dueUs);
  });

  it('replaces its expiry when aimed again, earlier or later', async () => {
    const later = recorder();
    const startUs = now();
    later.timer.aim(startUs + 2_000);
    later.timer.aim(startUs + 6_000);
    const earlier = recorder();
    earlier.timer.aim(startUs + 9_000);
    earlier.timer.aim(startUs + 4_000);
    await fenceAt(startUs + 12_000);
    expect(later.calls).toHaveLength(1);
    expect(later.calls[0]!).toBeGreaterThanOrEqual(startUs + 6_000);
    expect(earlier.calls).toHaveLength(1);
    expect(earlier.calls[0]!).toBeLessThan(later.calls[0]!);
  });

  it('calls back at once when aimed at a time already passed, and never after a cancel', async () => {
    const passed = recorder();
    passed.timer.aim(now() - 1_000);
    const cancelled = recorder();
    cancelled.timer.aim(now() + 2_000);
    cancelled.timer.cancel();
    await fenceAt(now() + 5_000);
    expect(passed.calls).toHaveLength(1);
    expect(cancelled.calls).toHaveLength(0);
  });

  it('refuses an aim that is not a monotonic time', () => {
    const { timer } = recorder();
    expect(() => timer.aim(Number.NaN)).toThrow(/dueUs/);
    expect(() => timer.aim(-5)).toThrow(/dueUs/);
  });
});

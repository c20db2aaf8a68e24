import { describe, expect, it } from 'vitest';
import { MemoryCallLimits } from '../../../../api/limits/memory-call-limits.js';

function limits(config: { perIpActive: number; globalActive: number }) {
  const clock = { nowMs: 1_000_000 };
  return { clock, store: new MemoryCallLimits({ perIpPerHour: 10_000, ...config }, () => clock.nowMs) };
}

describe('MemoryCallLimits', () => {
  it('caps the node at globalActive and frees expired reservations with no timer', async () => {
    const { clock, store } = limits({ perIpActive: 1, globalActive: 3 });
    const t = clock.nowMs;
    expect(await store.reserve('10.0.0.1', 's1', t + 30_000)).toEqual({ ok: true });
    expect(await store.reserve('10.0.0.2', 's2', t + 10_000)).toEqual({ ok: true });
    expect(await store.reserve('10.0.0.3', 's3', t + 20_000)).toEqual({ ok: true });
    // Full: retry when the soonest reservation ends (s2, in 10 s).
    expect(await store.reserve('10.0.0.4', 's4', t + 60_000)).toEqual({ ok: false, reason: 'global_cap', retryAfterSeconds: 10 });
    clock.nowMs = t + 10_000;
    expect(await store.reserve('10.0.0.4', 's4', t + 60_000)).toEqual({ ok: true });
    expect((await store.reserve('10.0.0.5', 's5', t + 60_000)).ok).toBe(false);
  });

  it('counts an extension and a release: the retry time follows the extended end, a release frees a slot', async () => {
    const { clock, store } = limits({ perIpActive: 1, globalActive: 2 });
    const t = clock.nowMs;
    await store.reserve('10.0.0.1', 's1', t + 10_000);
    await store.reserve('10.0.0.2', 's2', t + 20_000);
    await store.extend('10.0.0.1', 's1', t + 50_000);
    expect(await store.reserve('10.0.0.3', 's3', t + 60_000)).toEqual({ ok: false, reason: 'global_cap', retryAfterSeconds: 20 });
    clock.nowMs = t + 20_000; // s2 expires; s1 was extended past its first end
    expect(await store.reserve('10.0.0.3', 's3', t + 60_000)).toEqual({ ok: true });
    expect(await store.reserve('10.0.0.1', 's9', t + 60_000)).toEqual({ ok: false, reason: 'ip_busy', retryAfterSeconds: 30 });
    await store.release('10.0.0.1', 's1');
    await store.release('10.0.0.1', 's1'); // twice: counted once
    expect(await store.reserve('10.0.0.1', 's9', t + 60_000)).toEqual({ ok: true });
    expect((await store.reserve('10.0.0.4', 's10', t + 60_000)).ok).toBe(false);
  });

  it('extends a reservation only while it is held: not once released, not once past its end', async () => {
    const { clock, store } = limits({ perIpActive: 1, globalActive: 2 });
    const t = clock.nowMs;
    await store.reserve('10.0.0.1', 's1', t + 10_000);
    expect(await store.extend('10.0.0.1', 's1', t + 50_000)).toBe(true);
    await store.release('10.0.0.1', 's1');
    expect(await store.extend('10.0.0.1', 's1', t + 90_000)).toBe(false);
    await store.reserve('10.0.0.1', 's2', t + 10_000);
    clock.nowMs = t + 10_000;
    expect(await store.extend('10.0.0.1', 's2', t + 90_000)).toBe(false);
    // The expired reservation was let go, not revived: the address may reserve again.
    expect(await store.reserve('10.0.0.1', 's3', t + 60_000)).toEqual({ ok: true });
  });
});

// A worker's reports carry each leg's live stats in turn, not every leg's every second.
import { describe, expect, it } from 'vitest';
import { LegStatsRotation } from '../../../../engine/workers/leg-stats-rotation.js';

const ids = (count: number, from = 0): string[] => Array.from({ length: count }, (_, i) => `call-${from + i}`);

describe('LegStatsRotation', () => {
  it('reports a new leg at once, then every leg exactly once per period, spread evenly', () => {
    const rotation = new LegStatsRotation(5);
    const legs = ids(100);
    expect(rotation.pick(legs)).toEqual(legs);
    const counts = new Map<string, number>();
    const sizes: number[] = [];
    for (let report = 0; report < 5; report++) {
      const picked = rotation.pick(legs);
      sizes.push(picked.length);
      for (const id of picked) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    expect(sizes).toEqual([20, 20, 20, 20, 20]);
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    expect(counts.size).toBe(100);
  });

  it('keeps a leg on its turn when others close, and reports a joining leg at once', () => {
    const rotation = new LegStatsRotation(3);
    const legs = ids(9);
    rotation.pick(legs);
    const turns = [rotation.pick(legs), rotation.pick(legs), rotation.pick(legs)];
    const staying = legs.filter((_, i) => i % 2 === 0);
    const joined = 'call-new';
    const next = rotation.pick([...staying, joined]);
    // The next report is the first turn again: its staying legs, and the new one.
    expect(next).toEqual([...turns[0]!.filter((id) => staying.includes(id)), joined]);
  });

  it('reads the legs a slice at a time, letting the event loop run between slices, and skips a leg gone meanwhile', async () => {
    const rotation = new LegStatsRotation(5);
    const live = new Map(ids(100).map((id, i) => [id, i]));
    const readAt: number[] = [];
    let turns = 0;
    const immediates = (): void => {
      setImmediate(() => {
        turns++;
        if (live.size > 0) immediates();
      });
    };
    immediates();
    const collecting = rotation.collect(live, (value) => {
      readAt.push(turns);
      return value * 2;
    });
    // Gone before its slice is read (slices of 25, in insertion order).
    live.delete('call-99');
    const stats = await collecting;
    live.clear();
    expect(Object.keys(stats)).toHaveLength(99);
    expect(stats['call-7']).toBe(14);
    expect(stats['call-99']).toBeUndefined();
    // The first and the last slice were read on different turns of the event loop.
    expect(readAt[0]).toBeLessThan(readAt.at(-1)!);
  });
});


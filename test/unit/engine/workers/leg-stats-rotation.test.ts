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
});

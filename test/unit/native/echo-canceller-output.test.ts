// The canceller's output, sample for sample, on fixed inputs (test/support/echo-canceller-fixture.ts):
// its per-bin loops and FFT are restructured for speed, and such a change must not move a single
// sample. The checksums are of this build's x86-64-v3 clones (vector_clones.h: the baseline clone
// fuses no multiply-adds, so its last bits differ) with the GCC the project builds with; a change
// meant to alter the output updates them, with the echo bench's figures to show for it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cancellerFixtures, checksum, runCanceller } from '../../support/echo-canceller-fixture.js';

const expected: Record<string, string> = {
  '8 kHz G.711 room': '3b9a4a27',
  '16 kHz hybrid, stepping and drifting': 'de129183',
};

// What the loader checks before picking the x86-64-v3 clone (the flags of that level GCC tests).
const runsV3Clone = (): boolean => {
  if (process.arch !== 'x64') return false;
  const flags = new Set(/^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim().split(/\s+/) ?? []);
  return ['avx2', 'fma', 'bmi1', 'bmi2', 'f16c', 'movbe', 'abm'].every((flag) => flags.has(flag));
};

describe('EchoCanceller output on fixed inputs', () => {
  for (const input of cancellerFixtures()) {
    it.skipIf(!runsV3Clone())(`is unchanged to the sample: ${input.name}`, () => {
      expect(checksum(runCanceller(input))).toBe(expected[input.name]);
    });
  }
});

import alawmulaw from 'alawmulaw';
import { describe, expect, it } from 'vitest';
import { decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw } from '../../../engine/native/g711.js';

// An independent table from the standard's segment rules, written here as the ITU's G.191
// software states them (one's complement folding of negative inputs, bias 33 for µ-law).
function referenceUlaw(x: number): number {
  let magnitude = (x < 0 ? ~x >> 2 : x >> 2) + 33;
  if (magnitude > 0x1fff) magnitude = 0x1fff;
  let segment = 1;
  for (let i = magnitude >> 6; i !== 0; i >>= 1) segment++;
  const code = ((8 - segment) << 4) | (0x0f - ((magnitude >> segment) & 0x0f));
  return x >= 0 ? code | 0x80 : code;
}

function referenceAlaw(x: number): number {
  let ix = x < 0 ? ~x >> 4 : x >> 4;
  if (ix > 15) {
    let exponent = 1;
    while (ix > 16 + 15) {
      ix >>= 1;
      exponent++;
    }
    ix -= 16;
    ix += exponent << 4;
  }
  if (x >= 0) ix |= 0x80;
  return ix ^ 0x55;
}

const everyInput = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
const everyCode = Uint8Array.from({ length: 256 }, (_, i) => i);

describe('G.711', () => {
  it('encodes every 16-bit input to the code the ITU rules give (µ-law and A-law)', () => {
    const ulaw = encodeUlaw(everyInput);
    const alaw = encodeAlaw(everyInput);
    let ulawMismatches = 0;
    let alawMismatches = 0;
    for (let i = 0; i < 65536; i++) {
      if (ulaw[i] !== referenceUlaw(everyInput[i]!)) ulawMismatches++;
      if (alaw[i] !== referenceAlaw(everyInput[i]!)) alawMismatches++;
    }
    expect(ulawMismatches).toBe(0);
    expect(alawMismatches).toBe(0);
  });

  it('decodes all 256 codes exactly as alawmulaw does', () => {
    // Int16Array on both sides: alawmulaw returns -0 for one code, which toEqual tells from 0.
    expect(decodeUlaw(everyCode)).toEqual(Int16Array.from(everyCode, (c) => alawmulaw.mulaw.decodeSample(c)));
    expect(decodeAlaw(everyCode)).toEqual(Int16Array.from(everyCode, (c) => alawmulaw.alaw.decodeSample(c)));
  });

  it('differs from the Sun-derived alawmulaw encoder only where it negates instead of folding (127 inputs per law)', () => {
    const ulaw = encodeUlaw(everyInput);
    const alaw = encodeAlaw(everyInput);
    const differences = (ours: Uint8Array, theirs: (x: number) => number): number[] =>
      [...everyInput].filter((x, i) => ours[i] !== (theirs(x) & 0xff));
    const ulawDiff = differences(ulaw, alawmulaw.mulaw.encodeSample);
    const alawDiff = differences(alaw, alawmulaw.alaw.encodeSample);
    expect(ulawDiff).toHaveLength(127);
    expect(alawDiff).toHaveLength(127);
    // All negative: folding by ~x = -x - 1 moves a magnitude down by one, across a step edge.
    expect(ulawDiff.every((x) => x < 0)).toBe(true);
    expect(alawDiff.every((x) => x < 0)).toBe(true);
  });

  it('round-trips every code, and encodes into a caller-supplied array', () => {
    // 0x7f is µ-law's negative zero: it decodes to 0, which encodes as positive zero (0xff).
    expect([...encodeUlaw(decodeUlaw(everyCode))].flatMap((c, i) => (c !== i ? [i] : []))).toEqual([0x7f]);
    expect([...encodeAlaw(decodeAlaw(everyCode))]).toEqual([...everyCode]);
    const out = new Uint8Array(160);
    expect(encodeUlaw(new Int16Array(160).fill(1000), out)).toBe(out);
    expect(out[0]).toBe(referenceUlaw(1000));
  });
});

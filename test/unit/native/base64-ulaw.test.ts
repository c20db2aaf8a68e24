import alawmulaw from 'alawmulaw';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../engine/errors.js';
import { decodeBase64Ulaw, NOT_BASE64 } from '../../../engine/native/base64-ulaw.js';
import { mutants } from '../../support/mutate.js';

// The TypeScript check the native decoder replaced, kept here as the rule it must follow: whole
// groups of four, the RFC 4648 alphabet, then at most two '='.
const isBase64 = (text: string): boolean => text.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(text);

const cases = [
  '', 'AAAA', 'AA==', 'AAA=', '+/+/', '////', 'AAAAAA==', 'AAAAAAA=', 'zz9+',
  'A', 'AA', 'AAA', 'AAAAA', 'A===', '====', '=AAA', 'AA=A', 'A=AA', 'AAAA====', 'AAAA=', 'AA==AAAA', 'AAA==',
  // Node's decoder takes these (the URL-safe alphabet, whitespace, other characters skipped).
  'AB-_', 'AB\nC', 'AAAA\n', ' AAA', 'AA A', 'AAA\u0000', 'AAA.',
  // Characters past ASCII, including ones whose low byte is a base64 character (a Latin-1 copy
  // would read U+0141 as 'A').
  '\u00c1AAA', '\u0141AAA', 'AAA\u0241', '\ud83d\ude00AA', 'AAA\u00ff', '\ud800AAA', 'AAA\udfff', 'AA\udfff=', '\u0141A', 'A\u0141AAAAA',
];

// What the native decode gives: the samples, or the refusal.
function decoded(text: string): Int16Array | number {
  // Room for any text of that length: at most three bytes a group of four characters.
  const out = new Int16Array(text.length);
  const samples = decodeBase64Ulaw(text, out);
  return samples < 0 ? samples : out.slice(0, samples);
}

// What the replaced path gave: the check, then Node's base64 decode and the µ-law table.
function expected(text: string): Int16Array | number {
  if (!isBase64(text)) return NOT_BASE64;
  return Int16Array.from(Buffer.from(text, 'base64'), (code) => alawmulaw.mulaw.decodeSample(code));
}

describe('native base64 µ-law payload decode', () => {
  it('accepts and refuses exactly what the replaced check did, and decodes what it accepts as Node did', () => {
    expect(cases.filter((text) => decoded(text) !== NOT_BASE64)).toEqual(['', 'AAAA', 'AA==', 'AAA=', '+/+/', '////', 'AAAAAA==', 'AAAAAAA=', 'zz9+']);
    expect(cases.map(decoded)).toEqual(cases.map(expected));
  });

  it('agrees with the replaced check and Node\'s decode on 40,000 mutated payloads', () => {
    const samples = [Buffer.from(Uint8Array.from({ length: 160 }, (_, i) => (i * 37) & 0xff)), Buffer.from([1]), Buffer.from([1, 2])].map((bytes) => bytes.toString('base64'));
    const disagreements: string[] = [];
    let accepted = 0;
    for (const { input } of mutants(samples, 20_000, 0xba5e)) {
      // latin1 keeps every byte a character (0x80-0xff included); utf8 adds two-byte characters.
      for (const text of [input.toString('latin1'), input.toString('utf8')]) {
        const got = decoded(text);
        if (typeof got !== 'number') accepted += 1;
        if (JSON.stringify(got) !== JSON.stringify(expected(text))) disagreements.push(text);
      }
    }
    expect(disagreements).toEqual([]);
    // The mutants reach both verdicts, so agreement is not agreement on refusals alone.
    expect(accepted).toBeGreaterThan(1000);
    expect(accepted).toBeLessThan(39_000);
  });

  it('counts a text longer than its output array without writing to the array, and refuses junk as before', () => {
    const out = new Int16Array(5).fill(7);
    expect(decodeBase64Ulaw('AAAAAAAA', out)).toBe(6);
    expect([...out]).toEqual([7, 7, 7, 7, 7]);
    expect(decodeBase64Ulaw('!!!!!!!!', out)).toBe(NOT_BASE64);
    expect([...out]).toEqual([7, 7, 7, 7, 7]);
    // An exact fit is written.
    const exact = new Int16Array(4).fill(7);
    expect(decodeBase64Ulaw('AAAAAA==', exact)).toBe(4);
    expect([...exact]).toEqual(Array(4).fill(alawmulaw.mulaw.decodeSample(0)));
  });

  it('decodes into the front of a longer array and leaves the rest as it was', () => {
    const out = new Int16Array(8).fill(7);
    expect(decodeBase64Ulaw(Buffer.from([0xff, 0x00]).toString('base64'), out)).toBe(2);
    expect([...out]).toEqual([0, -32124, 7, 7, 7, 7, 7, 7]);
  });

  it('throws a typed error for arguments of the wrong type rather than reading them', () => {
    expect(() => decodeBase64Ulaw(1234 as unknown as string, new Int16Array(3))).toThrow(InvalidArgumentError);
    expect(() => decodeBase64Ulaw('AAAA', new Uint8Array(3) as unknown as Int16Array)).toThrow(InvalidArgumentError);
  });
});

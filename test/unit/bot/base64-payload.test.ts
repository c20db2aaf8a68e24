import { describe, expect, it } from 'vitest';
import { base64Bytes, isBase64 } from '../../../engine/bot/twilio-media-streams/base64-payload.js';
import { mutants } from '../../support/mutate.js';

// The check isBase64 replaced, kept here as the definition it must agree with.
const REFERENCE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const cases = [
  '', 'AAAA', 'AA==', 'AAA=', '+/+/', '////', 'AAAAAA==', 'AAAAAAA=', 'zz9+',
  'A', 'AA', 'AAA', 'AAAAA', 'A===', '====', '=AAA', 'AA=A', 'A=AA', 'AAAA====', 'AAAA=', 'AA==AAAA', 'AAA==',
  // Node's decoder takes these (the URL-safe alphabet, whitespace, other characters skipped).
  'AB-_', 'AB\nC', 'AAAA\n', ' AAA', 'AA A', 'AAA\u0000', 'AAA.',
  // Characters past ASCII, including ones whose low byte is a base64 character.
  '\u00c1AAA', '\u0141AAA', 'AAA\u0241', '\ud83d\ude00AA', 'AAA\u00ff',
];

function agrees(text: string): boolean {
  return isBase64(text) === REFERENCE.test(text);
}

describe('base64 payload check', () => {
  it('accepts and refuses exactly what the RFC 4648 regular expression does', () => {
    expect(cases.filter((text) => !agrees(text))).toEqual([]);
    expect(cases.filter(isBase64)).toEqual(['', 'AAAA', 'AA==', 'AAA=', '+/+/', '////', 'AAAAAA==', 'AAAAAAA=', 'zz9+']);
  });

  it('agrees with the regular expression on 20,000 mutated payloads, and counts the bytes Node decodes', () => {
    const samples = [Buffer.from(Uint8Array.from({ length: 160 }, (_, i) => (i * 37) & 0xff)), Buffer.from([1]), Buffer.from([1, 2])].map((bytes) => bytes.toString('base64'));
    const disagreements: string[] = [];
    const miscounted: string[] = [];
    for (const { input } of mutants(samples, 20_000, 0xba5e)) {
      // latin1 keeps every byte a character (0x80-0xff included); utf8 adds two-byte characters.
      for (const text of [input.toString('latin1'), input.toString('utf8')]) {
        if (!agrees(text)) disagreements.push(text);
        else if (isBase64(text) && base64Bytes(text) !== Buffer.from(text, 'base64').length) miscounted.push(text);
      }
    }
    expect(disagreements).toEqual([]);
    expect(miscounted).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { CodecError, InvalidArgumentError } from '../../../engine/errors.js';
import { OpusCodec } from '../../../engine/native/opus-codec.js';
import { renderSpeech } from '../../support/speech.js';

const FRAME = 960;

// Normalised cross-correlation of `decoded` against `original` over their first second, at the
// best lag up to 10 ms (the codec's own delay is a few ms).
function bestCorrelation(original: Int16Array, decoded: Int16Array): number {
  const window = Math.min(48000, original.length);
  let best = 0;
  for (let lag = 0; lag < FRAME / 2; lag += 1) {
    let dot = 0;
    let a = 0;
    let b = 0;
    for (let i = 0; i + lag < decoded.length && i < window; i++) {
      dot += original[i]! * decoded[i + lag]!;
      a += original[i]! * original[i]!;
      b += decoded[i + lag]! * decoded[i + lag]!;
    }
    best = Math.max(best, dot / Math.sqrt(a * b || 1));
  }
  return best;
}

describe('OpusCodec (native, 48 kHz mono voice)', () => {
  it('round-trips speech at 32 kbit/s: the decoded audio follows the original', () => {
    const speech = renderSpeech('Opus carries this sentence there and back.', { rateHz: 48000 });
    const codec = new OpusCodec({ complexity: 5, bitrateBps: 32000 });
    const frames = Math.floor(speech.length / FRAME);
    const decoded = new Int16Array(frames * FRAME);
    const packet = new Uint8Array(1500);
    let bytes = 0;
    for (let f = 0; f < frames; f++) {
      const length = codec.encode(speech.subarray(f * FRAME, (f + 1) * FRAME), packet);
      bytes += length;
      expect(codec.decode(packet.subarray(0, length), decoded.subarray(f * FRAME, (f + 1) * FRAME))).toBe(FRAME);
    }
    // 32 kbit/s is 80 bytes per 20 ms frame on average; VBR keeps it near that.
    expect(bytes / frames).toBeGreaterThan(40);
    expect(bytes / frames).toBeLessThan(120);
    expect(bestCorrelation(speech.subarray(0, frames * FRAME), decoded)).toBeGreaterThan(0.85);
  });

  it('refuses a malformed packet with a CodecError and keeps decoding afterwards', () => {
    const codec = new OpusCodec();
    const out = new Int16Array(FRAME);
    // TOC code 3 (arbitrary frame count) with the count byte missing: RFC 6716 section 3.2.5.
    expect(() => codec.decode(Uint8Array.of(0xff), out)).toThrow(CodecError);
    const packet = new Uint8Array(1500);
    const length = codec.encode(new Int16Array(FRAME), packet);
    expect(codec.decode(packet.subarray(0, length), out)).toBe(FRAME);
  });

  it('refuses settings libopus does not accept with an InvalidArgumentError', () => {
    expect(() => new OpusCodec({ complexity: 11 })).toThrow(InvalidArgumentError);
  });
});

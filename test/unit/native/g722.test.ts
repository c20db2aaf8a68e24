import { describe, expect, it } from 'vitest';
import { l16ToPcm, pcmToL16 } from '../../../engine/native/l16.js';
import { Transcoder } from '../../../engine/native/transcoder.js';
import { frames } from '../../support/frames.js';
import { bestAlignment, snrDb } from '../../support/signal-metrics.js';
import { spandspDecode, spandspEncode } from '../../support/spandsp-g722.js';
import { renderSpeech } from '../../support/speech.js';
import { seededRandom } from '../../support/seeded-random.js';
import { sine, sineSweep, whiteNoise } from '../../support/test-signals.js';

const frameSamples = 320; // 20 ms at 16 kHz
const frameOctets = 160;

// Parley's G.722 through its one-call-per-frame entry point: L16/16000 <-> G722 is exactly the
// codec, the L16 side only changes byte order.
function encode(pcm: Int16Array): Uint8Array {
  const encoder = new Transcoder({ from: 'L16/16000', to: 'G722' });
  const out = new Uint8Array((pcm.length / frameSamples) * frameOctets);
  frames(pcm, frameSamples).forEach((frame, i) => out.set(encoder.transcode(pcmToL16(frame)), i * frameOctets));
  return out;
}

function decode(codes: Uint8Array): Int16Array {
  const decoder = new Transcoder({ from: 'G722', to: 'L16/16000' });
  const out = new Int16Array((codes.length / frameOctets) * frameSamples);
  frames(codes, frameOctets).forEach((frame, i) => out.set(l16ToPcm(decoder.transcode(frame)), i * frameSamples));
  return out;
}

const wholeFrames = (pcm: Int16Array): Int16Array => pcm.subarray(0, pcm.length - (pcm.length % frameSamples));

const signals: Record<string, () => Int16Array> = {
  'espeak-ng speech': () => wholeFrames(renderSpeech('The quick brown fox jumps over the lazy dog, twice.', { rateHz: 16000 })),
  'a near-full-scale 50 Hz - 7.9 kHz sweep': () => sineSweep(16000 * 2, 16000, 50, 7900, 31000),
  'white noise': () => whiteNoise(16000, 24000, 7),
};

// Samples where the two decoders differ. libspandsp 0.0.6 casts the receive QMF's output to 16
// bits without saturating, so where the true output passes full scale its sample wraps to the
// other sign; ours saturates as the Recommendation's output limiting does. Every other sample must
// match exactly.
function decoderDifferences(ours: Int16Array, reference: Int16Array): { wrapped: number; other: number } {
  let wrapped = 0;
  let other = 0;
  for (let i = 0; i < ours.length; i++) {
    if (ours[i] === reference[i]) continue;
    const railed = ours[i] === 32767 ? reference[i]! + 65536 > 32767 : ours[i] === -32768 && reference[i]! - 65536 < -32768;
    if (railed && Math.sign(ours[i]!) !== Math.sign(reference[i]!)) wrapped++;
    else other++;
  }
  return { wrapped, other };
}

describe('G.722 64 kbit/s against libspandsp', () => {
  for (const [name, make] of Object.entries(signals)) {
    it(`encodes ${name} to the same octets`, () => {
      const pcm = make();
      const ours = encode(pcm);
      const reference = spandspEncode(pcm);
      expect(ours.length).toBe(pcm.length / 2);
      expect(Buffer.from(ours).equals(Buffer.from(reference))).toBe(true);
    });

    it(`decodes the reference octets of ${name} to the same samples`, () => {
      const codes = spandspEncode(make());
      const ours = decode(codes);
      const reference = spandspDecode(codes);
      expect(ours.length).toBe(reference.length);
      expect(decoderDifferences(ours, reference).other).toBe(0);
    });
  }

  it('decodes speech with no sample out of range, so the two decoders agree on every sample', () => {
    const codes = spandspEncode(signals['espeak-ng speech']!());
    expect(decoderDifferences(decode(codes), spandspDecode(codes))).toEqual({ wrapped: 0, other: 0 });
  });

  it('decodes every octet value in random order like the reference, including the unused low codes', () => {
    const random = seededRandom(42);
    const codes = Uint8Array.from({ length: 16000 }, () => Math.floor(random() * 256));
    const ours = decode(codes);
    const reference = spandspDecode(codes);
    const differences = decoderDifferences(ours, reference);
    expect(differences.other).toBe(0);
    // Random codes drive the predictors hard: the wrap case does happen here, and only it.
    expect(differences.wrapped).toBeLessThan(ours.length / 100);
  });
});

describe('G.722 round trip', () => {
  it('keeps speech at over 20 dB SNR after the 22-sample QMF delay', () => {
    const speech = signals['espeak-ng speech']!();
    const decoded = decode(encode(speech));
    const alignment = bestAlignment(speech, decoded, 0, 64);
    expect(alignment.lag).toBe(22);
    expect(alignment.correlation).toBeGreaterThan(0.99);
    expect(snrDb(speech, decoded, alignment.lag)).toBeGreaterThan(20);
  });

  it('passes a 1 kHz and a 6 kHz tone (both sub-bands) at high SNR', () => {
    for (const [frequencyHz, minimumDb] of [
      [1000, 40],
      [6000, 20],
    ] as const) {
      const tone = sine(16000, 16000, frequencyHz, 10000);
      const decoded = decode(encode(tone));
      const steady = 1600; // skip the first 100 ms while the step sizes adapt
      expect(snrDb(tone.subarray(steady), decoded.subarray(steady + 22))).toBeGreaterThan(minimumDb);
    }
  });
});

import alawmulaw from 'alawmulaw';
import { describe, expect, it } from 'vitest';
import { CodecError, InvalidArgumentError, UnsupportedError } from '../../../engine/errors.js';
import { l16ToPcm, pcmToL16 } from '../../../engine/native/l16.js';
import { Transcoder, transcoderCodecs, type TranscoderCodec } from '../../../engine/native/transcoder.js';
import { frames } from '../../support/frames.js';
import { bestAlignment, snrDb } from '../../support/signal-metrics.js';
import { renderSpeech } from '../../support/speech.js';

const rateOf: Record<TranscoderCodec, 8000 | 16000 | 48000> = {
  PCMU: 8000,
  PCMA: 8000,
  G722: 16000,
  opus: 48000,
  'L16/8000': 8000,
  'L16/16000': 16000,
  'L16/48000': 48000,
};
// Bytes per 20 ms frame; Opus is variable (RFC 6716: at most 1275).
const fixedBytes: Partial<Record<TranscoderCodec, number>> = {
  PCMU: 160,
  PCMA: 160,
  G722: 160,
  'L16/8000': 320,
  'L16/16000': 640,
  'L16/48000': 1920,
};
const l16At = (rateHz: number): TranscoderCodec => `L16/${rateHz}` as TranscoderCodec;
const sentence = 'Hello, this is a test of the media path.';

// Speech at `rateHz`, cut to whole 20 ms frames.
function speechAt(rateHz: number, text = sentence): Int16Array {
  const speech = renderSpeech(text, { rateHz });
  return speech.subarray(0, speech.length - (speech.length % (rateHz / 50)));
}

// Runs frames through a chain of transcoders, one frame at a time.
function chain(codecs: TranscoderCodec[], input: Uint8Array[]): Uint8Array[] {
  const steps = codecs.slice(1).map((to, i) => new Transcoder({ from: codecs[i]!, to }));
  return input.map((frame) => steps.reduce((payload, step) => step.transcode(payload), frame));
}

// Speech as `codec` frames, and the PCM those frames decode back to at the codec's rate.
function speechFrames(codec: TranscoderCodec, text = sentence): Uint8Array[] {
  const rateHz = rateOf[codec];
  return chain([l16At(rateHz), codec], frames(speechAt(rateHz, text), rateHz / 50).map(pcmToL16));
}

function decodeToPcm(codec: TranscoderCodec, payloads: Uint8Array[]): Int16Array {
  const pcm = chain([codec, l16At(rateOf[codec])], payloads).map(l16ToPcm);
  return Int16Array.from(pcm.flatMap((frame) => [...frame]));
}

describe('Transcoder: every pair', () => {
  const short = 'Every pair works.';
  const input = new Map(transcoderCodecs.map((codec) => [codec, speechFrames(codec, short)]));
  for (const from of transcoderCodecs) {
    for (const to of transcoderCodecs) {
      it(`${from} -> ${to}: one frame out per frame in, and the speech survives`, () => {
        const output = chain([from, to], input.get(from)!);
        const expected = fixedBytes[to];
        for (const payload of output) {
          if (expected !== undefined) expect(payload.length).toBe(expected);
          else expect(payload.length).toBeGreaterThan(0);
        }
        const rateHz = rateOf[to];
        const heard = decodeToPcm(to, output);
        // Codec and resampler delays add up to well under 30 ms on any single step.
        const alignment = bestAlignment(speechAt(rateHz, short), heard, 0, (rateHz / 1000) * 30);
        expect(alignment.correlation).toBeGreaterThan(0.8);
      });
    }
  }
});

describe('Transcoder: speech through A -> B -> A', () => {
  // Bounds sit a few dB under what this speech measures (PCMU/PCMA ~37.5 dB, G722 ~25.5 dB; Opus
  // is a perceptual codec, so its waveform SNR is low and correlation is the measure).
  const cases: Array<{ path: TranscoderCodec[]; minCorrelation: number; minSnrDb: number }> = [
    { path: ['L16/8000', 'PCMU', 'L16/8000'], minCorrelation: 0.999, minSnrDb: 35 },
    { path: ['L16/8000', 'PCMA', 'L16/8000'], minCorrelation: 0.999, minSnrDb: 35 },
    { path: ['L16/16000', 'G722', 'L16/16000'], minCorrelation: 0.99, minSnrDb: 22 },
    { path: ['L16/48000', 'opus', 'L16/48000'], minCorrelation: 0.9, minSnrDb: 6 },
    { path: ['L16/8000', 'PCMU', 'G722', 'PCMU', 'L16/8000'], minCorrelation: 0.99, minSnrDb: 20 },
    { path: ['L16/16000', 'G722', 'PCMA', 'G722', 'L16/16000'], minCorrelation: 0.97, minSnrDb: 12 },
    { path: ['L16/48000', 'opus', 'PCMU', 'opus', 'L16/48000'], minCorrelation: 0.75, minSnrDb: 3 },
  ];
  for (const { path, minCorrelation, minSnrDb } of cases) {
    it(`${path.join(' -> ')} keeps correlation > ${minCorrelation} and SNR > ${minSnrDb} dB`, () => {
      const rateHz = rateOf[path[0]!];
      const speech = speechAt(rateHz);
      const out = chain(path, frames(speech, rateHz / 50).map(pcmToL16)).map(l16ToPcm);
      const heard = Int16Array.from(out.flatMap((frame) => [...frame]));
      expect(heard.length).toBe(speech.length);
      const alignment = bestAlignment(speech, heard, 0, (rateHz / 1000) * 40);
      expect(alignment.correlation).toBeGreaterThan(minCorrelation);
      expect(snrDb(speech, heard, alignment.lag)).toBeGreaterThan(minSnrDb);
    });
  }
});

describe('Transcoder: L16 is big-endian (RFC 3551 section 4.5.11)', () => {
  it('reads L16 samples most significant byte first', () => {
    const frame = new Uint8Array(320);
    for (let i = 0; i < frame.length; i += 2) frame.set([0x12, 0x34], i); // 0x1234 = 4660
    const codes = new Transcoder({ from: 'L16/8000', to: 'PCMU' }).transcode(frame);
    // alawmulaw returns the code as a signed byte.
    expect([...codes]).toEqual(new Array(160).fill(alawmulaw.mulaw.encodeSample(0x1234) & 0xff));
  });

  it('writes L16 samples most significant byte first', () => {
    const codes = Uint8Array.from({ length: 160 }, (_, i) => i);
    const l16 = new Transcoder({ from: 'PCMU', to: 'L16/8000' }).transcode(codes);
    const view = new DataView(l16.buffer, l16.byteOffset, l16.byteLength);
    const samples = Int16Array.from({ length: 160 }, (_, i) => view.getInt16(2 * i, false));
    // Int16Array on both sides: alawmulaw returns -0 for one code, which toEqual tells from 0.
    expect(samples).toEqual(Int16Array.from(codes, (code) => alawmulaw.mulaw.decodeSample(code)));
  });

  it('passes L16 through unchanged when both sides are L16 at one rate', () => {
    const frame = Uint8Array.from({ length: 640 }, (_, i) => (i * 37) & 0xff);
    expect([...new Transcoder({ from: 'L16/16000', to: 'L16/16000' }).transcode(frame)]).toEqual([...frame]);
  });
});

describe('Transcoder: bad input', () => {
  it('refuses an unknown codec with an UnsupportedError', () => {
    expect(() => new Transcoder({ from: 'G729' as TranscoderCodec, to: 'PCMU' })).toThrow(UnsupportedError);
    expect(() => new Transcoder({ from: 'PCMU', to: 'L16/44100' as TranscoderCodec })).toThrow(UnsupportedError);
  });

  it('refuses frames of the wrong size with an InvalidArgumentError, and loses no state', () => {
    for (const [codec, bytes] of Object.entries(fixedBytes) as Array<[TranscoderCodec, number]>) {
      const good = speechFrames(codec).slice(0, 5);
      const clean = chain([codec, 'PCMA'], good);
      const troubled = new Transcoder({ from: codec, to: 'PCMA' });
      const out: Uint8Array[] = [];
      for (const frame of good) {
        for (const length of [0, bytes - 1, bytes + 1, bytes * 2]) {
          expect(() => troubled.transcode(new Uint8Array(length))).toThrow(InvalidArgumentError);
        }
        out.push(troubled.transcode(frame));
      }
      expect(out).toEqual(clean);
    }
  });

  it('refuses Opus payloads that are empty, too long or undecodable as 20 ms', () => {
    const transcoder = new Transcoder({ from: 'opus', to: 'PCMU' });
    expect(() => transcoder.transcode(new Uint8Array(0))).toThrow(InvalidArgumentError);
    expect(() => transcoder.transcode(new Uint8Array(1276))).toThrow(InvalidArgumentError);
    // TOC 0xff: code 3 with a frame count byte claiming 63 frames of 20 ms (RFC 6716 section 3.2.5).
    expect(() => transcoder.transcode(Uint8Array.of(0xff, 0xff, 0xff))).toThrow(CodecError);
    // TOC 0xf0: one CELT frame of 10 ms, a valid packet of the wrong duration.
    expect(() => transcoder.transcode(Uint8Array.of(0xf0, 1, 2, 3, 4, 5, 6, 7))).toThrow(CodecError);
    expect(transcoder.transcode(speechFrames('opus')[10]!).length).toBe(160);
  });

  it('refuses a frame that is not a Uint8Array', () => {
    const transcoder = new Transcoder({ from: 'PCMU', to: 'PCMA' });
    expect(() => transcoder.transcode(new Int16Array(80) as unknown as Uint8Array)).toThrow(InvalidArgumentError);
  });
});

import { describe, expect, it } from 'vitest';
import { CodecError, InvalidArgumentError } from '../../../engine/errors.js';
import { OpusDecoder, OpusEncoder, type OpusEncoderOptions } from '../../../engine/native/opus.js';
import { renderSpeech } from '../../support/speech.js';
import { bestAlignment, correlationAt, rmsDbfs, snrDb } from '../../support/signal-metrics.js';

const frameSamples = 960; // 20 ms at 48 kHz
const speech = renderSpeech('The quick brown fox jumps over the lazy dog. Parley carries voice between callers and bots.', { rateHz: 48000 });
const frameCount = Math.floor(speech.length / frameSamples);
const frame = (i: number): Int16Array => speech.subarray(i * frameSamples, (i + 1) * frameSamples);

function encodeSpeech(options: OpusEncoderOptions = {}): Uint8Array[] {
  const encoder = new OpusEncoder(options);
  return Array.from({ length: frameCount }, (_, i) => encoder.encode(frame(i)));
}

const averageBytes = (packets: Uint8Array[]): number => packets.reduce((sum, p) => sum + p.length, 0) / packets.length;

function energy(samples: Int16Array): number {
  return samples.reduce((sum, x) => sum + x * x, 0);
}

describe('Opus (48 kHz mono, 20 ms frames)', () => {
  it('carries espeak-ng speech through encode and decode: correlated, aligned within 10 ms', () => {
    const packets = encodeSpeech();
    const decoder = new OpusDecoder();
    const decoded = new Int16Array(frameCount * frameSamples);
    packets.forEach((packet, i) => decoded.set(decoder.decode(packet), i * frameSamples));
    const original = speech.subarray(0, decoded.length);
    // Align on the first two seconds, then judge the whole passage at that lag.
    const { lag } = bestAlignment(original.subarray(0, 96000), decoded, 0, 480);
    expect(correlationAt(original, decoded, lag)).toBeGreaterThan(0.9);
    expect(lag).toBeGreaterThan(0); // the codec's look-ahead (6.5 ms, RFC 6716 section 2)
    expect(snrDb(original, decoded, lag)).toBeGreaterThan(6);
    expect(Math.abs(rmsDbfs(decoded) - rmsDbfs(original))).toBeLessThan(1.5);
  });

  it('recovers a lost frame from the next packet\'s in-band FEC measurably better than PLC', () => {
    const packets = encodeSpeech({ fec: true, expectedLossPct: 20 });
    const reference = new OpusDecoder();
    const lossless = packets.map((packet) => reference.decode(packet));
    const withPlc = new OpusDecoder();
    const withFec = new OpusDecoder();
    let signal = 0;
    let plcError = 0;
    let fecError = 0;
    let plcEnergy = 0;
    let lost = 0;
    for (let i = 0; i < frameCount; i++) {
      if (i % 9 === 1 && i + 1 < frameCount) {
        const concealed = withPlc.conceal();
        const recovered = withFec.decodeFec(packets[i + 1]!);
        const truth = lossless[i]!;
        signal += energy(truth);
        plcEnergy += energy(concealed);
        for (let k = 0; k < frameSamples; k++) {
          plcError += (concealed[k]! - truth[k]!) ** 2;
          fecError += (recovered[k]! - truth[k]!) ** 2;
        }
        lost++;
        continue;
      }
      withPlc.decode(packets[i]!);
      withFec.decode(packets[i]!);
    }
    expect(lost).toBeGreaterThan(20);
    const plcSnr = 10 * Math.log10(signal / plcError);
    const fecSnr = 10 * Math.log10(signal / fecError);
    expect(fecSnr).toBeGreaterThan(plcSnr + 5);
    // PLC extrapolates speech, it does not play silence: within 10 dB of what was lost.
    expect(10 * Math.log10(plcEnergy / signal)).toBeGreaterThan(-10);
  });

  it('spends the bitrate it is given, set at construction or mid-stream', () => {
    const low = averageBytes(encodeSpeech({ bitrateBps: 12000 }));
    const high = averageBytes(encodeSpeech({ bitrateBps: 64000 }));
    // 20 ms at 12 / 64 kbit/s is 30 / 160 bytes.
    expect(low).toBeGreaterThan(20);
    expect(low).toBeLessThan(40);
    expect(high).toBeGreaterThan(120);
    expect(high).toBeLessThan(200);

    const encoder = new OpusEncoder({ bitrateBps: 12000 });
    const before = Array.from({ length: 100 }, (_, i) => encoder.encode(frame(i)));
    encoder.setBitrate(64000);
    const after = Array.from({ length: 100 }, (_, i) => encoder.encode(frame(100 + i)));
    expect(averageBytes(after)).toBeGreaterThan(3 * averageBytes(before));
    expect(() => encoder.setBitrate(-5)).toThrow(InvalidArgumentError);
  });

  it('accepts complexity 0..10, which changes the encoding, and refuses values outside it', () => {
    const streams = [0, 5, 10].map((complexity) => encodeSpeech({ complexity }));
    const decoder = new OpusDecoder();
    for (const packet of streams[0]!.slice(0, 50)) expect(decoder.decode(packet).length).toBe(frameSamples);
    expect(Buffer.concat(streams[0]!).equals(Buffer.concat(streams[2]!))).toBe(false);
    expect(() => new OpusEncoder({ complexity: 11 })).toThrow(InvalidArgumentError);
    expect(() => new OpusEncoder({ complexity: -1 })).toThrow(InvalidArgumentError);
  });

  it('encodes and decodes into caller arrays exactly as into new ones, and refuses a short output array', () => {
    const reference = encodeSpeech().slice(0, 20);
    const encoder = new OpusEncoder();
    const packet = new Uint8Array(1500);
    const intoPackets = reference.map((_, i) => packet.slice(0, encoder.encodeInto(frame(i), packet)));
    expect(intoPackets).toEqual(reference);

    const fresh = new OpusDecoder();
    const into = new OpusDecoder();
    const out = new Int16Array(frameSamples + 10).fill(7);
    let energySum = 0;
    for (const p of reference) {
      expect(into.decodeInto(p, out)).toBe(frameSamples);
      expect(out.subarray(0, frameSamples)).toEqual(fresh.decode(p));
      energySum += energy(out.subarray(0, frameSamples));
    }
    expect(energySum).toBeGreaterThan(0);
    // Only the frame is written; the rest of the caller's array is left alone.
    expect([...out.subarray(frameSamples)]).toEqual(new Array(10).fill(7));
    expect(() => into.decodeInto(reference[0]!, new Int16Array(frameSamples - 1))).toThrow(InvalidArgumentError);
    expect(() => into.decodeInto(Uint8Array.of(0xff), out)).toThrow(CodecError);
    expect(() => encoder.encodeInto(new Int16Array(480), packet)).toThrow(InvalidArgumentError);
  });

  it('refuses malformed packets and wrong frame sizes with typed errors, and keeps decoding', () => {
    const decoder = new OpusDecoder();
    const good = encodeSpeech().slice(0, 3);
    decoder.decode(good[0]!);
    // Code-3 packets (RFC 6716 3.2.5) with a frame count of 0, and of 49 (over 120 ms).
    expect(() => decoder.decode(Uint8Array.of(0x03, 0x00))).toThrow(CodecError);
    expect(() => decoder.decode(Uint8Array.of(0x03, 0x31))).toThrow(CodecError);
    expect(() => decoder.decode(new Uint8Array(0))).toThrow(CodecError);
    // A frame is 20 ms at the encoder's own rate.
    expect(new OpusEncoder({ sampleRateHz: 24000 }).frameSamples).toBe(480);
    expect(() => new OpusEncoder().encode(new Int16Array(480))).toThrow(InvalidArgumentError);
    expect(() => new OpusEncoder({ sampleRateHz: 44100 as 48000 })).toThrow(InvalidArgumentError);
    expect(decoder.decode(good[1]!).length).toBe(frameSamples);
  });
});

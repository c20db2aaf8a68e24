// What the load bench's callers send: one frames file per codec for the load generator
// (rtp_loadgen.c reads each packet as a 16-bit big-endian length, then its bytes, and loops over
// the file). PCMU of espeak-ng speech; Opus of the speech every Opus bench encodes, coded at 48 kHz
// as a browser or softphone would (the node's leg then decodes them at its bot's rate).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import alawmulaw from 'alawmulaw';
import { renderSpeech } from '../../test/support/speech.js';
import { OpusEncoder } from '../../engine/native/opus.js';
import { opusBenchSpeech } from '../codecs/raw-opus.js';
import { splitFrames } from '../frames.js';
import type { LoadCodec } from './media-node-protocol.js';

const PCMU_FRAME_SAMPLES = 160;
const OPUS_FRAME_SAMPLES_48K = 960;

export function writeFrames(file: string, payloads: Uint8Array[]): void {
  const chunks: Buffer[] = [];
  for (const payload of payloads) {
    const length = Buffer.alloc(2);
    length.writeUInt16BE(payload.length);
    chunks.push(length, Buffer.from(payload));
  }
  writeFileSync(file, Buffer.concat(chunks));
}

export function readFrames(file: string): Uint8Array[] {
  const bytes = readFileSync(file);
  const payloads: Uint8Array[] = [];
  for (let at = 0; at + 2 <= bytes.length; ) {
    const length = bytes.readUInt16BE(at);
    if (at + 2 + length > bytes.length) throw new Error(`${file}: packet at byte ${at} runs past the end`);
    payloads.push(new Uint8Array(bytes.subarray(at + 2, at + 2 + length)));
    at += 2 + length;
  }
  return payloads;
}

// Writes the callers' frames files into `dir` and returns their paths.
export function prepareCallerFrames(dir: string, opusComplexity: number): Record<LoadCodec, string> {
  const pcmu = join(dir, 'frames-pcmu.bin');
  const speech8k = renderSpeech('The quick brown fox jumps over the lazy dog, then counts to ten slowly.', { rateHz: 8000 });
  writeFrames(pcmu, splitFrames(speech8k, PCMU_FRAME_SAMPLES).map((frame) => alawmulaw.mulaw.encode(frame)));
  const encoder = new OpusEncoder({ complexity: opusComplexity });
  const opus = join(dir, 'frames-opus.bin');
  writeFrames(opus, splitFrames(opusBenchSpeech(), OPUS_FRAME_SAMPLES_48K).map((frame) => encoder.encode(frame)));
  return { PCMU: pcmu, opus };
}

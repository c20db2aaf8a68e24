// Typed face of the native decode of a Twilio media payload: base64 text (RFC 4648 section 4,
// padded, nothing outside the alphabet) to µ-law bytes to PCM16 at 8 kHz, in one crossing, into
// `out`. Returns the sample count (one per byte the text carries), or a refusal below zero.
import { callNative } from '../errors.js';
import { nativeModule } from './addon.js';

export const Base64UlawRefusal = {
  // Not whole groups of four, a character outside the alphabet, or '=' other than closing it.
  notBase64: -1,
  // `out` has fewer than maxBase64Bytes(payload.length) elements: the text was not read.
  outputTooSmall: -2,
} as const;

interface Base64UlawModule {
  decode(payload: string, out: Int16Array): number;
}

const native = (): Base64UlawModule => nativeModule<Base64UlawModule>('base64Ulaw');

// The most bytes (so samples) a text of `length` characters can carry: its groups times three.
export const maxBase64Bytes = (length: number): number => Math.floor(length / 4) * 3;

export const decodeBase64Ulaw = (payload: string, out: Int16Array): number => callNative(() => native().decode(payload, out));

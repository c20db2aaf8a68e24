// Typed face of the native decode of a Twilio media payload: base64 text (RFC 4648 section 4,
// padded, nothing outside the alphabet) to µ-law bytes to PCM16 at 8 kHz, in one crossing, into
// `out`. Returns the text's sample count (one per byte it carries), written to `out` only if `out`
// holds them all (a larger count leaves `out` as it was: make room and call again), or
// NOT_BASE64: not whole groups of four, a character outside the alphabet, or '=' other than
// closing it.
import { callNative } from '../errors.js';
import { nativeModule } from './addon.js';

export const NOT_BASE64 = -1;

interface Base64UlawModule {
  decode(payload: string, out: Int16Array): number;
}

const native = (): Base64UlawModule => nativeModule<Base64UlawModule>('base64Ulaw');

export const decodeBase64Ulaw = (payload: string, out: Int16Array): number => callNative(() => native().decode(payload, out));

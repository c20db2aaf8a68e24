// Typed face of native G.711 (ITU-T G.711 per the ITU's G.191 reference rules). Pass `out` to
// reuse an array across frames.
import { callNative } from '../errors.js';
import { nativeModule } from './addon.js';

interface G711Module {
  encodeUlaw(pcm: Int16Array, out?: Uint8Array): Uint8Array;
  decodeUlaw(codes: Uint8Array, out?: Int16Array): Int16Array;
  encodeAlaw(pcm: Int16Array, out?: Uint8Array): Uint8Array;
  decodeAlaw(codes: Uint8Array, out?: Int16Array): Int16Array;
}

const native = (): G711Module => nativeModule<G711Module>('g711');

export const encodeUlaw = (pcm: Int16Array, out?: Uint8Array): Uint8Array => callNative(() => (out ? native().encodeUlaw(pcm, out) : native().encodeUlaw(pcm)));
export const decodeUlaw = (codes: Uint8Array, out?: Int16Array): Int16Array => callNative(() => (out ? native().decodeUlaw(codes, out) : native().decodeUlaw(codes)));
export const encodeAlaw = (pcm: Int16Array, out?: Uint8Array): Uint8Array => callNative(() => (out ? native().encodeAlaw(pcm, out) : native().encodeAlaw(pcm)));
export const decodeAlaw = (codes: Uint8Array, out?: Int16Array): Int16Array => callNative(() => (out ? native().decodeAlaw(codes, out) : native().decodeAlaw(codes)));

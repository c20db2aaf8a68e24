// The audio formats an ExternalMedia channel of the double speaks, with codecs independent of
// Parley's: alawmulaw for G.711, spandsp for G.722, byte swapping for L16 (network order, RFC 3551
// section 4.5.11). Whole streams are coded at once because G.722 carries state across frames.
// `payloadType` is the static type Asterisk's rtp_engine.c maps first for the format.
import alawmulaw from 'alawmulaw';
import { spandspDecode, spandspEncode } from '../spandsp-g722.js';

export interface AudioFormat {
  name: string;
  payloadType: number;
  // Audio sample rate, RTP timestamp units per 20 ms and payload bytes per 20 ms.
  rateHz: number;
  timestampStep: number;
  frameBytes: number;
  encode(pcm: Int16Array): Uint8Array;
  decode(payload: Uint8Array): Int16Array;
}

function encodeL16(pcm: Int16Array): Uint8Array {
  const out = Buffer.alloc(pcm.length * 2);
  for (let i = 0; i < pcm.length; i++) out.writeInt16BE(pcm[i]!, i * 2);
  return out;
}

function decodeL16(payload: Uint8Array): Int16Array {
  const bytes = Buffer.from(payload);
  const out = new Int16Array(bytes.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readInt16BE(i * 2);
  return out;
}

export const audioFormats: Record<string, AudioFormat> = {
  ulaw: { name: 'ulaw', payloadType: 0, rateHz: 8000, timestampStep: 160, frameBytes: 160, encode: (pcm) => alawmulaw.mulaw.encode(pcm), decode: (p) => alawmulaw.mulaw.decode(p) },
  alaw: { name: 'alaw', payloadType: 8, rateHz: 8000, timestampStep: 160, frameBytes: 160, encode: (pcm) => alawmulaw.alaw.encode(pcm), decode: (p) => alawmulaw.alaw.decode(p) },
  // G.722: 16 kHz audio on an 8000 Hz RTP clock (RFC 3551 section 4.5.2).
  g722: { name: 'g722', payloadType: 9, rateHz: 16000, timestampStep: 160, frameBytes: 160, encode: spandspEncode, decode: spandspDecode },
  slin: { name: 'slin', payloadType: 10, rateHz: 8000, timestampStep: 160, frameBytes: 320, encode: encodeL16, decode: decodeL16 },
};

// Formats Asterisk knows (so externalMedia accepts them) even where the double cannot carry audio.
export const knownAsteriskFormats = new Set(['ulaw', 'alaw', 'g722', 'slin', 'slin12', 'slin16', 'slin24', 'slin32', 'slin44', 'slin48', 'slin96', 'slin192', 'gsm', 'g729', 'opus', 'ilbc', 'g726', 'speex', 'speex16', 'speex32', 'testlaw', 'adpcm', 'lpc10', 'siren7', 'siren14', 'g719']);

// The audio formats an ExternalMedia channel of the double speaks, encoded with implementations
// independent of Parley's (alawmulaw for G.711; byte swapping for L16, network order per
// RFC 3551 section 4.5.11). `payloadType` is the static type Asterisk's rtp_engine.c maps first.
import alawmulaw from 'alawmulaw';

export interface AudioFormat {
  name: string;
  payloadType: number;
  rateHz: number;
  // RTP timestamp units per 20 ms frame.
  timestampStep: number;
  encode(pcm: Int16Array): Uint8Array;
  decode(payload: Uint8Array): Int16Array;
}

function l16BigEndian(): Pick<AudioFormat, 'encode' | 'decode'> {
  return {
    encode(pcm) {
      const out = Buffer.alloc(pcm.length * 2);
      for (let i = 0; i < pcm.length; i++) out.writeInt16BE(pcm[i]!, i * 2);
      return out;
    },
    decode(payload) {
      const bytes = Buffer.from(payload);
      const out = new Int16Array(bytes.length >> 1);
      for (let i = 0; i < out.length; i++) out[i] = bytes.readInt16BE(i * 2);
      return out;
    },
  };
}

export const audioFormats: Record<string, AudioFormat> = {
  ulaw: { name: 'ulaw', payloadType: 0, rateHz: 8000, timestampStep: 160, encode: (pcm) => alawmulaw.mulaw.encode(pcm), decode: (p) => alawmulaw.mulaw.decode(p) },
  alaw: { name: 'alaw', payloadType: 8, rateHz: 8000, timestampStep: 160, encode: (pcm) => alawmulaw.alaw.encode(pcm), decode: (p) => alawmulaw.alaw.decode(p) },
  slin: { name: 'slin', payloadType: 10, rateHz: 8000, timestampStep: 160, ...l16BigEndian() },
};

// Formats Asterisk knows (so externalMedia accepts them) even where the double cannot carry audio.
export const knownAsteriskFormats = new Set(['ulaw', 'alaw', 'g722', 'slin', 'slin12', 'slin16', 'slin24', 'slin32', 'slin44', 'slin48', 'slin96', 'slin192', 'gsm', 'g729', 'opus', 'ilbc', 'g726', 'speex', 'speex16', 'speex32', 'testlaw', 'adpcm', 'lpc10', 'siren7', 'siren14', 'g719']);

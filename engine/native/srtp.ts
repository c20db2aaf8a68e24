// Typed face of native SRTP/SRTCP (RFC 3711; native/rtp/srtp_context.h). One session protects
// one direction's outgoing packets and unprotects the other side's incoming ones with the same
// master key, as SDES (RFC 4568) hands out one key per direction.
import { callNative } from '../errors.js';
import { nativeModule } from './addon.js';
import { SrtpError, type SrtpRefusalReason } from './errors.js';

export type SrtpProfileName = 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32';

// RFC 3711 section 4.3.1 key derivation labels.
export const SrtpKeyLabel = { rtpCipher: 0, rtpAuth: 1, rtpSalt: 2, rtcpCipher: 3, rtcpAuth: 4, rtcpSalt: 5 } as const;
export type SrtpKeyLabel = (typeof SrtpKeyLabel)[keyof typeof SrtpKeyLabel];

type Result = Uint8Array | SrtpRefusalReason;

interface NativeSrtpSession {
  protectRtp(packet: Uint8Array): Result;
  unprotectRtp(packet: Uint8Array): Result;
  protectRtcp(packet: Uint8Array): Result;
  unprotectRtcp(packet: Uint8Array): Result;
  readonly rolloverCounter: number;
  readonly receiveStreams: number;
}

interface SrtpModule {
  SrtpSession: new (profile: string, masterKey: Uint8Array, masterSalt: Uint8Array) => NativeSrtpSession;
  aesCmKeystream(sessionKey: Uint8Array, sessionSalt: Uint8Array, ssrc: number, index: number, length: number): Uint8Array;
  deriveSrtpKey(masterKey: Uint8Array, masterSalt: Uint8Array, label: number, length: number): Uint8Array;
}

const native = (): SrtpModule => nativeModule<SrtpModule>('srtp');

function unwrap(result: Result): Uint8Array {
  if (typeof result === 'string') throw new SrtpError(result);
  return result;
}

export class SrtpSession {
  private readonly native: NativeSrtpSession;

  // masterKey: 16 bytes, masterSalt: 14 bytes.
  constructor(readonly profile: SrtpProfileName, masterKey: Uint8Array, masterSalt: Uint8Array) {
    const { SrtpSession: NativeClass } = native();
    this.native = callNative(() => new NativeClass(profile, masterKey, masterSalt));
  }

  // Each returns a new array; the input is left as it was. Refusals throw SrtpError.
  protectRtp(packet: Uint8Array): Uint8Array {
    return unwrap(callNative(() => this.native.protectRtp(packet)));
  }

  unprotectRtp(packet: Uint8Array): Uint8Array {
    return unwrap(callNative(() => this.native.unprotectRtp(packet)));
  }

  protectRtcp(packet: Uint8Array): Uint8Array {
    return unwrap(callNative(() => this.native.protectRtcp(packet)));
  }

  unprotectRtcp(packet: Uint8Array): Uint8Array {
    return unwrap(callNative(() => this.native.unprotectRtcp(packet)));
  }

  // The sender's rollover counter: wraps of its sequence number so far (section 3.3.1), for the
  // SSRC it protected last.
  get rolloverCounter(): number {
    return this.native.rolloverCounter;
  }

  // SSRCs whose incoming state (ROC, replay list) the session holds; bounded.
  get receiveStreams(): number {
    return this.native.receiveStreams;
  }
}

// The AES-CM keystream for one packet (section 4.1.1): what RFC 3711 Appendix B.2 tabulates.
export function aesCmKeystream(sessionKey: Uint8Array, sessionSalt: Uint8Array, ssrc: number, index: number, length: number): Uint8Array {
  return callNative(() => native().aesCmKeystream(sessionKey, sessionSalt, ssrc, index, length));
}

// One session key from the master key and salt (section 4.3, kdr = 0): Appendix B.3's vectors.
export function deriveSrtpKey(masterKey: Uint8Array, masterSalt: Uint8Array, label: SrtpKeyLabel, length: number): Uint8Array {
  return callNative(() => native().deriveSrtpKey(masterKey, masterSalt, label, length));
}

// SDES keying (RFC 4568): `a=crypto:<tag> <crypto-suite> inline:<base64 key||salt>[|lifetime][|MKI:length]`.
// Only the two AES-CM suites the native SRTP context implements (RFC 4568 section 6.2), without
// MKI (section 6.1: an answer may not add one, and the offerer's MKI would tag every packet).
import { randomBytes } from 'node:crypto';

export const sdesSuites = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const;
export type SdesSuite = (typeof sdesSuites)[number];

const MASTER_KEY_AND_SALT_BYTES = 30; // 128-bit key + 112-bit salt (RFC 3711 section 8.2)

export interface SdesOffer {
  tag: number;
  suite: SdesSuite;
  key: Uint8Array<ArrayBuffer>;
}

function isSuite(suite: string): suite is SdesSuite {
  return (sdesSuites as readonly string[]).includes(suite);
}

// The first offered line Parley can use (offers list them in preference order, section 7.1.1),
// or undefined when none is usable.
// sdp-transform leaves `config` undefined when a line has no key parameters at all.
export function pickSdesOffer(lines: ReadonlyArray<{ id: number; suite: string; config?: string }>): SdesOffer | undefined {
  for (const line of lines) {
    if (!isSuite(line.suite) || line.config === undefined) continue;
    const keyParams = line.config.split(' ');
    if (keyParams.length !== 1) continue; // several master keys need MKI
    const match = /^inline:([A-Za-z0-9+/=]+)(?:\|(?:2\^)?\d+)?$/.exec(keyParams[0]!);
    if (!match) continue;
    const key = Buffer.from(match[1]!, 'base64');
    if (key.length !== MASTER_KEY_AND_SALT_BYTES) continue;
    return { tag: line.id, suite: line.suite, key: Uint8Array.from(key) };
  }
  return undefined;
}

export function newSdesKey(): Uint8Array<ArrayBuffer> {
  return new Uint8Array(randomBytes(MASTER_KEY_AND_SALT_BYTES)) as Uint8Array<ArrayBuffer>;
}

export function sdesInline(key: Uint8Array): string {
  return `inline:${Buffer.from(key).toString('base64')}`;
}

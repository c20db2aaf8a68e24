// Typed face of the native RTP packet parser/serializer (native/rtp/rtp_packet.h): RFC 3550
// header, CSRC list, padding, RFC 8285 one- and two-byte header extensions. A parsed packet's
// payload and extension data are views into the bytes passed in, not copies.
import { callNative } from '../errors.js';
import { nativeModule } from './addon.js';
import { MalformedRtpError, type RtpMalformedReason } from './errors.js';

export interface RtpExtensionElement {
  id: number;
  data: Uint8Array;
}

export interface RtpHeaderFields {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcs: number[];
}

export interface RtpPacket extends RtpHeaderFields {
  padding: boolean;
  paddingLength: number;
  // 0xBEDE (one-byte), 0x100X (two-byte) or another profile's value; undefined when X = 0.
  extensionProfile: number | undefined;
  // RFC 8285 elements (none for other profiles), at most 16.
  extensions: RtpExtensionElement[];
  payload: Uint8Array;
}

interface NativeParsed extends RtpHeaderFields {
  padding: boolean;
  paddingLength: number;
  extensionProfile?: number;
  extensions: { id: number; offset: number; length: number }[];
  payloadOffset: number;
  payloadLength: number;
}

interface RtpPacketModule {
  parse(bytes: Uint8Array): NativeParsed | RtpMalformedReason;
  serialize(header: RtpHeaderFields, payload: Uint8Array, extensions: RtpExtensionElement[]): Uint8Array;
}

const native = (): RtpPacketModule => nativeModule<RtpPacketModule>('rtpPacket');

// Throws MalformedRtpError (with the reason) for anything RFC 3550/8285 does not allow.
export function parseRtpPacket(bytes: Uint8Array): RtpPacket {
  const parsed = native().parse(bytes);
  if (typeof parsed === 'string') throw new MalformedRtpError(parsed);
  const view = (offset: number, length: number): Uint8Array => bytes.subarray(offset, offset + length);
  return {
    padding: parsed.padding,
    paddingLength: parsed.paddingLength,
    marker: parsed.marker,
    payloadType: parsed.payloadType,
    sequenceNumber: parsed.sequenceNumber,
    timestamp: parsed.timestamp,
    ssrc: parsed.ssrc,
    csrcs: parsed.csrcs,
    extensionProfile: parsed.extensionProfile,
    extensions: parsed.extensions.map(({ id, offset, length }) => ({ id, data: view(offset, length) })),
    payload: view(parsed.payloadOffset, parsed.payloadLength),
  };
}

// Writes the one-byte extension form when every element allows it (ids 1..14, 1..16 bytes), the
// two-byte form otherwise (RFC 8285 section 4.3). Throws InvalidArgumentError for out-of-range
// fields or elements.
export function serializeRtpPacket(header: RtpHeaderFields, payload: Uint8Array, extensions: RtpExtensionElement[] = []): Uint8Array {
  return callNative(() => native().serialize(header, payload, extensions));
}

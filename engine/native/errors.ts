// Named errors for packets the native parsers refuse. They carry the native status name as
// `reason` so callers count drops by cause (RFC 3550 malformations, RFC 3711 refusals).
import { ParleyError } from '../errors.js';

export type RtpMalformedReason =
  | 'truncated'
  | 'bad_version'
  | 'bad_padding'
  | 'csrc_overrun'
  | 'extension_overrun'
  | 'bad_extension'
  | 'too_long';

export type SrtpRefusalReason = 'truncated' | 'auth_failed' | 'replayed' | 'too_old' | 'no_room' | 'crypto_error';

export class MalformedRtpError extends ParleyError {
  constructor(readonly reason: RtpMalformedReason) {
    super('ERR_PARLEY_MALFORMED_RTP', `malformed RTP packet: ${reason}`);
  }
}

export class SrtpError extends ParleyError {
  constructor(readonly reason: SrtpRefusalReason) {
    super('ERR_PARLEY_SRTP', `SRTP refused the packet: ${reason}`);
  }
}

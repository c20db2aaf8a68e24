import { ParleyError } from '../../engine/errors.js';

// A SIP request or SDP body that cannot be accepted, with the status the UAS answers it with
// (400 for syntax, 415/416/420/488/505 for the specific refusals of RFC 3261 section 8.2).
export class SipRejection extends ParleyError {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly extraHeaders: Array<[string, string]> = [],
    // Already counted and logged where it was decided (the call service's node-wide cap).
    readonly countedElsewhere = false,
  ) {
    super('ERR_PARLEY_SIP_REJECTED', `${status} ${reason}`);
  }
}

// A datagram that is not a SIP message at all: nothing to answer, it is counted and dropped.
export class SipParseError extends ParleyError {
  constructor(message: string) {
    super('ERR_PARLEY_SIP_PARSE', message);
  }
}

// A stream (TCP/TLS) that cannot be framed into SIP messages (RFC 3261 section 18.3): no
// Content-Length, or a message past the size bound. The connection is closed.
export class SipFramingError extends ParleyError {
  constructor(message: string) {
    super('ERR_PARLEY_SIP_FRAMING', message);
  }
}

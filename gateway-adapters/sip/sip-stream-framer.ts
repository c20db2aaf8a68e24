// RFC 3261 section 18.3: on a stream transport the message ends where its Content-Length says,
// so Content-Length is mandatory. Leading CRLFs are keep-alives (RFC 5626 section 3.5.1) and
// are skipped. Bounded: a message (headers and body) is never held past `maxMessageBytes`.
import { SipFramingError } from './errors.js';

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /^(?:content-length|l)[ \t]*:[ \t]*(\d{1,9})[ \t]*$/im;

export class SipStreamFramer {
  private buffered: Buffer = Buffer.alloc(0);

  constructor(private readonly maxMessageBytes: number) {}

  // The whole messages completed by `chunk`; throws SipFramingError for a stream that cannot be
  // framed (the connection is then closed: nothing after it can be trusted to start a message).
  push(chunk: Buffer): Buffer[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const messages: Buffer[] = [];
    for (;;) {
      let start = 0;
      while (start + 1 < this.buffered.length && this.buffered[start] === 0x0d && this.buffered[start + 1] === 0x0a) start += 2;
      if (start > 0) this.buffered = this.buffered.subarray(start);
      const headerEnd = this.buffered.indexOf(HEADER_END);
      if (headerEnd < 0) {
        if (this.buffered.length > this.maxMessageBytes) throw new SipFramingError('header section too large');
        return messages;
      }
      const match = CONTENT_LENGTH.exec(this.buffered.subarray(0, headerEnd).toString('latin1'));
      if (!match) throw new SipFramingError('no Content-Length on a stream transport');
      const total = headerEnd + HEADER_END.length + Number(match[1]);
      if (total > this.maxMessageBytes) throw new SipFramingError('message too large');
      if (this.buffered.length < total) return messages;
      messages.push(Buffer.from(this.buffered.subarray(0, total)));
      this.buffered = this.buffered.subarray(total);
    }
  }
}

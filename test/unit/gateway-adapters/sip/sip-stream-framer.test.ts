import { describe, expect, it } from 'vitest';
import { SipStreamFramer } from '../../../../gateway-adapters/sip/sip-stream-framer.js';

const message = (body: string, lengthHeader = `Content-Length: ${Buffer.byteLength(body)}`): string =>
  `OPTIONS sip:bot@127.0.0.1 SIP/2.0\r\nCall-ID: x\r\n${lengthHeader}\r\n\r\n${body}`;

describe('SIP stream framing by Content-Length (RFC 3261 section 18.3)', () => {
  it('splits coalesced messages and joins a message cut anywhere, skipping CRLF keep-alives', () => {
    const stream = Buffer.from(`\r\n\r\n${message('hello')}${message('')}${message('v=0\r\n', 'l: 5')}`);
    for (let cut = 1; cut < stream.length; cut += 7) {
      const framer = new SipStreamFramer(4096);
      const out = [...framer.push(stream.subarray(0, cut)), ...framer.push(stream.subarray(cut))].map((m) => m.toString());
      expect(out).toEqual([message('hello'), message(''), message('v=0\r\n', 'l: 5')]);
    }
  });

  it('refuses a message without Content-Length, one past the bound, and a header section that never ends', () => {
    expect(() => new SipStreamFramer(4096).push(Buffer.from('OPTIONS sip:bot SIP/2.0\r\nCall-ID: x\r\n\r\n'))).toThrow(/Content-Length/);
    expect(() => new SipStreamFramer(4096).push(Buffer.from(message('', 'Content-Length: 5000')))).toThrow(/too large/);
    expect(() => new SipStreamFramer(1024).push(Buffer.alloc(2000, 0x41))).toThrow(/too large/);
  });
});

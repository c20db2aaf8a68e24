import { describe, expect, it } from 'vitest';
import { SipParseError } from '../../../../gateway-adapters/sip/errors.js';
import { parseCSeq, parseNameAddr, parseSipMessage, parseSipUri, responseTo, type SipRequest } from '../../../../gateway-adapters/sip/sip-message.js';

const invite = [
  'INVITE sip:bot@10.0.0.1:5060 SIP/2.0',
  'v: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKa1, SIP/2.0/UDP 10.0.0.3;branch=z9hG4bKa0',
  'f: "Doe, Jane" <sip:jane@10.0.0.2>;tag=abc',
  'To: <sip:bot@10.0.0.1>',
  'i: 123@10.0.0.2',
  'CSeq: 7 INVITE',
  'Subject: a folded',
  '  header',
  'l: 4',
  '',
  'v=0\r\nextra',
].join('\r\n');

describe('SIP message grammar', () => {
  it('reads compact forms, Via lists, folded lines and a body cut at Content-Length', () => {
    const message = parseSipMessage(Buffer.from(invite)) as SipRequest;
    expect(message.kind).toBe('request');
    expect(message.method).toBe('INVITE');
    expect(message.headers.all('via')).toHaveLength(2);
    expect(message.headers.get('from')).toBe('"Doe, Jane" <sip:jane@10.0.0.2>;tag=abc');
    expect(message.headers.get('subject')).toBe('a folded header');
    expect(message.body).toBe('v=0\r');
    expect(message.malformed).toBeUndefined();
  });

  it('marks a Content-Length past the datagram and a header without a colon as malformed', () => {
    expect((parseSipMessage(Buffer.from(invite.replace('l: 4', 'l: 400'))) as SipRequest).malformed).toBe('Bad Content-Length');
    expect((parseSipMessage(Buffer.from(invite.replace('CSeq: 7 INVITE', 'CSeq 7 INVITE'))) as SipRequest).malformed).toBe('Malformed header line');
  });

  it('throws SipParseError for datagrams that are not SIP', () => {
    for (const text of ['', 'hello', 'INVITE\r\n\r\n', 'GET / HTTP/1.1\r\n\r\n', '\u0000\u0001']) {
      expect(() => parseSipMessage(Buffer.from(text))).toThrow(SipParseError);
    }
  });

  it('parses addresses, URIs and CSeq, and refuses bad ones with 400', () => {
    const from = parseNameAddr('"Doe, Jane" <sip:jane@10.0.0.2;transport=udp>;tag=abc');
    expect(from.uri).toBe('sip:jane@10.0.0.2;transport=udp');
    expect(from.params.get('tag')).toBe('abc');
    expect(parseNameAddr('sip:bot@h;tag=x').params.get('tag')).toBe('x');
    expect(parseSipUri('sip:bot@Example.COM:5070;transport=udp')).toEqual({ scheme: 'sip', user: 'bot', host: 'example.com', port: 5070 });
    expect(parseSipUri('sip:%62ot@h').user).toBe('bot');
    expect(parseCSeq('12 BYE')).toEqual({ seq: 12, method: 'BYE' });
    for (const bad of ['BYE', '1', '99999999999 BYE', '-1 BYE']) expect(() => parseCSeq(bad)).toThrow(/400 Bad CSeq/);
    expect(() => parseSipUri('nonsense')).toThrow(/400/);
  });

  it('builds a response that echoes Via, From, Call-ID, CSeq and tags To', () => {
    const request = parseSipMessage(Buffer.from(invite)) as SipRequest;
    const text = responseTo(request, 486, 'Busy Here', { toTag: 'xyz' }).toString();
    expect(text.startsWith('SIP/2.0 486 Busy Here\r\n')).toBe(true);
    expect(text.match(/^Via: /gm)).toHaveLength(2);
    expect(text).toContain('To: <sip:bot@10.0.0.1>;tag=xyz');
    expect(text).toContain('CSeq: 7 INVITE');
    expect(text.endsWith('Content-Length: 0\r\n\r\n')).toBe(true);
    // 100 Trying carries no To tag (section 8.2.6.2).
    expect(responseTo(request, 100, 'Trying', { toTag: 'xyz' }).toString()).toContain('To: <sip:bot@10.0.0.1>\r\n');
  });
});

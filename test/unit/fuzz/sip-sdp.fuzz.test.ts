// Seeded mutation fuzzing of the SIP grammar and SDP offer/answer, run with the same pipeline the
// endpoint applies to a datagram. Every mutant must either parse or be refused with a typed error
// (SipParseError: nothing to answer; SipRejection: answered with its status), never throw anything
// else, and an accepted offer must hand the media session only values its schema accepts.
import { describe, expect, it } from 'vitest';
import { rtpSessionOptionsSchema } from '../../../engine/media/media-session-options.js';
import { SipParseError, SipRejection } from '../../../gateway-adapters/sip/errors.js';
import { buildAnswer, negotiate, sipCodecs } from '../../../gateway-adapters/sip/sdp-offer-answer.js';
import { parseCSeq, parseNameAddr, parseSipMessage, parseSipUri, responseTo, viaBranch } from '../../../gateway-adapters/sip/sip-message.js';
import { mutants, untypedFailures } from '../../support/mutate.js';

const COUNT = 10_000;

const sdp = [
  'v=0',
  'o=alice 2890844526 2890844526 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 49170 RTP/AVP 111 0 8 101',
  'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20',
  'a=sendrecv',
  'm=video 51372 RTP/AVP 96',
  'a=rtpmap:96 H264/90000',
  '',
].join('\r\n');

const invite = [
  'INVITE sip:bot@127.0.0.1:5060;transport=udp SIP/2.0',
  'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK776asdhds;rport',
  'Max-Forwards: 70',
  'From: "Alice, A." <sip:alice%20a@127.0.0.1>;tag=1928301774',
  'To: <sip:bot@127.0.0.1>',
  'Call-ID: a84b4c76e66710@127.0.0.1',
  'CSeq: 314159 INVITE',
  'Contact: <sip:alice@127.0.0.1:5070>',
  'Content-Type: application/sdp',
  `Content-Length: ${Buffer.byteLength(sdp)}`,
  '',
  sdp,
].join('\r\n');

const samples = [
  invite,
  'OPTIONS sip:bot@127.0.0.1 SIP/2.0\r\nv: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKo1\r\nf: <sip:a@b>;tag=x\r\nt: <sip:bot@127.0.0.1>\r\ni: 1@b\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n',
  'BYE sip:bot@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKb1\r\nFrom: <sip:a@b>;tag=x\r\nTo: <sip:bot@127.0.0.1>;tag=y\r\nCall-ID: 1@b\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n',
  'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKb1\r\nFrom: <sip:bot@127.0.0.1>;tag=y\r\nTo: <sip:a@b>;tag=x\r\nCall-ID: 1@b\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n',
];

const policy = { codecs: sipCodecs, srtp: 'optional' as const, opusDtx: true };

// What the endpoint does with a datagram before any state: parse, read the headers it reads,
// build a response, and negotiate the body of an INVITE.
function endpointPipeline(input: Buffer): void {
  const message = parseSipMessage(input);
  const h = message.headers;
  viaBranch(h.get('via') ?? '');
  if (message.kind === 'response') return;
  responseTo(message, 400, 'Bad Request', { toTag: 'abc' });
  parseCSeq(h.get('cseq'));
  parseNameAddr(h.get('from') ?? '<sip:x@y>');
  parseNameAddr(h.get('to') ?? '<sip:x@y>');
  parseSipUri(message.uri);
  if (message.body.length > 0) offerAnswer(Buffer.from(message.body, 'utf8'));
}

function offerAnswer(input: Buffer): void {
  const negotiation = negotiate(input.toString('utf8'), { ...policy, codecs: [...policy.codecs] });
  const { audio } = negotiation;
  // What the endpoint passes to createRtpSession: refused by the schema would be an untyped throw.
  rtpSessionOptionsSchema.parse({
    codec: audio.codec,
    payloadType: audio.payloadType,
    telephoneEventPayloadType: audio.telephoneEventPayloadType,
    comfortNoisePayloadType: audio.comfortNoisePayloadType,
    packetMs: audio.packetMs,
    remoteHost: audio.remoteHost,
    remotePort: audio.remotePort,
    srtp: audio.srtp ? { profile: audio.srtp.suite, localKey: audio.srtp.localKey, remoteKey: audio.srtp.remoteKey } : undefined,
  });
  buildAnswer(negotiation, { host: '127.0.0.1', port: 40000, sessionId: 1, sessionVersion: 1 });
}

describe('SIP and SDP parsers under seeded mutation', () => {
  it(`parse or refuse with a typed error: ${COUNT} mutated SIP messages`, () => {
    expect(untypedFailures(mutants(samples, COUNT, 0x5151), endpointPipeline, [SipParseError, SipRejection])).toEqual([]);
  });

  it(`parse or refuse with a typed error: ${COUNT} mutated SDP offers`, () => {
    // And a wideband phone's: G.722 and L16 beside CN at both clocks.
    const wideband = sdp.replace('RTP/AVP 111 0 8 101', 'RTP/AVP 9 96 13 105 101').replace('a=rtpmap:0 PCMU/8000', 'a=rtpmap:96 L16/16000\r\na=rtpmap:13 CN/8000\r\na=rtpmap:105 CN/16000');
    expect(untypedFailures(mutants([sdp, wideband], COUNT, 0x5d90), offerAnswer, [SipRejection])).toEqual([]);
  });

  it('refuses the two inputs that once escaped as exceptions: a payload type above 127, a bad % escape', () => {
    expect(() => offerAnswer(Buffer.from(sdp.replace('RTP/AVP 111 0 8 101', 'RTP/AVP 200')))).toThrow(expect.objectContaining({ status: 488 }));
    expect(() => parseSipUri('sip:b%ZZot@127.0.0.1')).toThrow(expect.objectContaining({ status: 400 }));
  });
});

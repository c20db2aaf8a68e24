import { describe, expect, it } from 'vitest';
import { buildAnswer, needsNewLeg, negotiate, renegotiate, type SdpPolicy } from '../../../../gateway-adapters/sip/sdp-offer-answer.js';

const policy: SdpPolicy = { codecs: ['opus', 'PCMU', 'PCMA'], srtp: 'optional' };
const key = Buffer.alloc(30, 7).toString('base64');

// The shape of Janus 1.1.2's SIP plugin offer with srtp "sdes_optional".
const janusOffer = [
  'v=0',
  'o=- 123 1 IN IP4 198.18.0.2',
  's=Janus',
  't=0 0',
  'm=audio 21000 RTP/AVP 111 9 0 8 101',
  'c=IN IP4 198.18.0.2',
  'a=rtpmap:111 opus/48000/2',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:101 telephone-event/8000',
  `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${key}`,
  'a=sendrecv',
  'm=video 21002 RTP/AVP 96',
  'c=IN IP4 198.18.0.2',
  'a=rtpmap:96 VP8/90000',
  '',
].join('\r\n');

describe('RFC 3264 offer/answer for the SIP endpoint', () => {
  it('takes the first offered codec it speaks, with the offerer\'s payload type and keys', () => {
    const { audio } = negotiate(janusOffer, policy);
    expect(audio).toMatchObject({ codec: 'opus', payloadType: 111, remoteHost: '198.18.0.2', remotePort: 21000 });
    // Phones offer telephone-event/8000 beside opus/48000: taken at its own clock (RFC 4733 section 2.1).
    expect(audio).toMatchObject({ telephoneEventPayloadType: 101, telephoneEventClockHz: 8000 });
    expect(Buffer.from(audio.srtp!.remoteKey).equals(Buffer.alloc(30, 7))).toBe(true);
    expect(audio.srtp!.localKey).toHaveLength(30);
  });

  it('answers one audio stream, keeps RTP/AVP with crypto, and rejects the video stream with port 0', () => {
    const negotiation = negotiate(janusOffer, policy);
    const answer = buildAnswer(negotiation, { host: '198.18.0.1', port: 30000, sessionId: 1, sessionVersion: 1 });
    expect(answer).toMatch(/^m=audio 30000 RTP\/AVP 111 101\r$/m);
    expect(answer).toContain('a=rtpmap:111 opus/48000/2');
    expect(answer).toContain('a=rtpmap:101 telephone-event/8000');
    expect(answer).toMatch(/a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:[A-Za-z0-9+/]{40}/);
    expect(answer).toMatch(/^m=video 0 RTP\/AVP 96\r$/m);
    expect(answer).toContain('c=IN IP4 198.18.0.1');
  });

  it('follows the policy: PCMU when Opus is not allowed, no crypto when SRTP is off, 488 without keys when mandatory', () => {
    expect(negotiate(janusOffer, { codecs: ['PCMU'], srtp: 'optional' }).audio).toMatchObject({ codec: 'PCMU', payloadType: 0, telephoneEventPayloadType: 101 });
    expect(negotiate(janusOffer, { ...policy, srtp: 'off' }).audio.srtp).toBeUndefined();
    const plain = janusOffer.replace(/a=crypto.*\r\n/, '');
    expect(() => negotiate(plain, { ...policy, srtp: 'mandatory' })).toThrow(/488/);
    expect(() => negotiate(plain.replace('RTP/AVP 111', 'RTP/SAVP 111'), policy)).toThrow(/488/);
  });

  it('skips crypto lines it cannot use (unknown suite, MKI, wrong key length)', () => {
    const offers = [
      janusOffer.replace('AES_CM_128_HMAC_SHA1_80', 'AEAD_AES_256_GCM'),
      janusOffer.replace(`inline:${key}`, `inline:${key}|2^20|1:4`),
      janusOffer.replace(`inline:${key}`, `inline:${Buffer.alloc(16).toString('base64')}`),
    ];
    for (const offer of offers) expect(negotiate(offer, policy).audio.srtp).toBeUndefined();
  });

  it('refuses SDP that does not parse (400) and offers without a usable stream (488)', () => {
    expect(() => negotiate('hello', policy)).toThrow(/400/);
    expect(() => negotiate(janusOffer.replace('m=audio 21000', 'm=audio 70000'), policy)).toThrow(/400/);
    expect(() => negotiate(janusOffer.replace(/c=IN IP4 198.18.0.2/g, 'c=IN IP6 ::1'), policy)).toThrow(/400/);
    expect(() => negotiate(janusOffer.replace('RTP/AVP 111 9 0 8 101', 'RTP/AVP 9'), policy)).toThrow(/488 No common codec/);
    expect(() => negotiate(janusOffer.replace('m=audio 21000', 'm=audio 0'), policy)).toThrow(/488/);
  });

  it('answers RFC 3389 CN/8000 (static 13 with or without rtpmap, or dynamic) beside G.711, never beside Opus or when not offered', () => {
    const g711 = janusOffer.replace('RTP/AVP 111 9 0 8 101', 'RTP/AVP 0 101 13');
    const negotiation = negotiate(g711, policy);
    expect(negotiation.audio).toMatchObject({ codec: 'PCMU', comfortNoisePayloadType: 13 });
    const answer = buildAnswer(negotiation, { host: '198.18.0.1', port: 30000, sessionId: 1, sessionVersion: 1 });
    expect(answer).toMatch(/^m=audio 30000 RTP\/AVP 0 101 13\r$/m);
    expect(answer).toContain('a=rtpmap:13 CN/8000');
    const dynamic = janusOffer.replace('RTP/AVP 111 9 0 8 101', 'RTP/AVP 8 98').replace('a=rtpmap:9 G722/8000', 'a=rtpmap:98 CN/8000');
    expect(negotiate(dynamic, policy).audio).toMatchObject({ codec: 'PCMA', comfortNoisePayloadType: 98 });
    expect(negotiate(dynamic.replace('CN/8000', 'CN/16000'), policy).audio.comfortNoisePayloadType).toBeUndefined();
    expect(negotiate(janusOffer.replace('RTP/AVP 111 9 0 8 101', 'RTP/AVP 111 13'), policy).audio).toMatchObject({ codec: 'opus', comfortNoisePayloadType: undefined });
    expect(negotiate(janusOffer.replace('RTP/AVP 111 9 0 8 101', 'RTP/AVP 0'), policy).audio.comfortNoisePayloadType).toBeUndefined();
  });

  it('answers CN at the codec\'s RTP clock: CN/8000 beside G.722 (its RTP clock is 8000, RFC 3551 section 4.5.2), CN/16000 beside L16/16000', () => {
    const local = { host: '198.18.0.1', port: 30000, sessionId: 1, sessionVersion: 1 };
    const wide: SdpPolicy = { codecs: ['opus', 'G722', 'PCMU', 'L16/16000'], srtp: 'optional' };
    // A desk phone's offer: G.722 first, static 9 and 13 without rtpmap lines.
    const phone = janusOffer.replace('RTP/AVP 111 9 0 8 101', 'RTP/AVP 9 0 101 13').replace('a=rtpmap:9 G722/8000\r\n', '');
    const l16Offer = janusOffer
      .replace('RTP/AVP 111 9 0 8 101', 'RTP/AVP 96 13 105 101')
      .replace('a=rtpmap:9 G722/8000', 'a=rtpmap:96 L16/16000\r\na=rtpmap:105 CN/16000\r\na=rtpmap:13 CN/8000')
      .replace('a=sendrecv', 'a=ptime:40\r\na=sendrecv');
    const cases = [
      { offer: phone, codec: 'G722', rtpmap: 'G722/8000', payloadType: 9, comfortNoise: 13, cnClock: 8000 },
      { offer: l16Offer, codec: 'L16/16000', rtpmap: 'L16/16000', payloadType: 96, comfortNoise: 105, cnClock: 16000 },
    ];
    for (const { offer, codec, rtpmap, payloadType, comfortNoise, cnClock } of cases) {
      const negotiation = negotiate(offer, wide);
      expect(negotiation.audio).toMatchObject({ codec, payloadType, comfortNoisePayloadType: comfortNoise, packetMs: 20 });
      const answer = buildAnswer(negotiation, local);
      expect(answer).toMatch(new RegExp(`^m=audio 30000 RTP/AVP ${payloadType} 101 ${comfortNoise}\r$`, 'm'));
      expect(answer).toContain(`a=rtpmap:${payloadType} ${rtpmap}`);
      expect(answer).toContain(`a=rtpmap:${comfortNoise} CN/${cnClock}`);
    }
    // CN/16000 is not G.722's clock: only CN/8000 pairs with it.
    const g722Cn16 = janusOffer.replace('RTP/AVP 111 9 0 8 101', 'RTP/AVP 9 105').replace('a=rtpmap:9 G722/8000', 'a=rtpmap:9 G722/8000\r\na=rtpmap:105 CN/16000');
    expect(negotiate(g722Cn16, wide).audio).toMatchObject({ codec: 'G722', comfortNoisePayloadType: undefined });
    // Stereo L16 is not taken, and L16 only when the policy allows it.
    expect(() => negotiate(l16Offer.replace('L16/16000', 'L16/16000/2').replace('RTP/AVP 96 13 105 101', 'RTP/AVP 96'), wide)).toThrow(/488/);
    expect(() => negotiate(l16Offer.replace('RTP/AVP 96 13 105 101', 'RTP/AVP 96'), policy)).toThrow(/488/);
  });

  it('asks an Opus peer for DTX (usedtx=1, RFC 7587 section 6.1) only when the policy says so', () => {
    const local = { host: '198.18.0.1', port: 30000, sessionId: 1, sessionVersion: 1 };
    expect(buildAnswer(negotiate(janusOffer, { ...policy, opusDtx: true }), local)).toContain('a=fmtp:111 minptime=10;useinbandfec=1;usedtx=1');
    expect(buildAnswer(negotiate(janusOffer, policy), local)).toContain('a=fmtp:111 minptime=10;useinbandfec=1\r\n');
    expect(negotiate(janusOffer.replace('RTP/AVP 111 9 0 8 101', 'RTP/AVP 0'), { ...policy, opusDtx: true }).audio.opusDtx).toBeUndefined();
  });

  it('asks an Opus peer for no band wider than the node codes at (RFC 7587 maxplaybackrate), keeping opus/48000/2', () => {
    const local = { host: '198.18.0.1', port: 30000, sessionId: 1, sessionVersion: 1 };
    const answer = buildAnswer(negotiate(janusOffer, { ...policy, opusCodingRateHz: 16000, opusDtx: true }), local);
    expect(answer).toContain('a=rtpmap:111 opus/48000/2\r\n');
    const fmtp = /^a=fmtp:111 (\S+)\r$/m.exec(answer)![1]!.split(';');
    expect(fmtp).toEqual(['minptime=10', 'useinbandfec=1', 'maxplaybackrate=16000', 'sprop-maxcapturerate=16000', 'usedtx=1']);
    // At 48 kHz (the parameters' default) nothing is asked; a G.711 answer has no Opus fmtp.
    expect(buildAnswer(negotiate(janusOffer, { ...policy, opusCodingRateHz: 48000 }), local)).toContain('a=fmtp:111 minptime=10;useinbandfec=1\r\n');
    expect(buildAnswer(negotiate(janusOffer.replace('RTP/AVP 111 9 0 8 101', 'RTP/AVP 0'), { ...policy, opusCodingRateHz: 16000 }), local)).not.toContain('maxplaybackrate');
  });

  it('refuses a re-offer that adds or removes CN without a codec change (488): the leg sends what the first answer said', () => {
    const first = negotiate(janusOffer.replace('RTP/AVP 111 9 0 8 101', 'RTP/AVP 0 13'), policy).audio;
    expect(() => renegotiate(janusOffer.replace('RTP/AVP 111 9 0 8 101', 'RTP/AVP 0'), policy, first)).toThrow(/488/);
    expect(renegotiate(janusOffer.replace('RTP/AVP 111 9 0 8 101', 'RTP/AVP 8 13'), policy, first).audio).toMatchObject({ codec: 'PCMA', comfortNoisePayloadType: 13 });
  });

  it('prefers telephone-event at the audio clock, else 8000, and ignores clocks Parley does not run', () => {
    const both = janusOffer.replace('RTP/AVP 111 9 0 8 101', 'RTP/AVP 111 101 102').replace('a=rtpmap:101 telephone-event/8000', 'a=rtpmap:101 telephone-event/8000\r\na=rtpmap:102 telephone-event/48000');
    expect(negotiate(both, policy).audio).toMatchObject({ telephoneEventPayloadType: 102, telephoneEventClockHz: 48000 });
    const odd = janusOffer.replace('telephone-event/8000', 'telephone-event/11025');
    expect(negotiate(odd, policy).audio.telephoneEventPayloadType).toBeUndefined();
  });

  it('answers hold with the mirrored direction: sendonly -> recvonly, inactive -> inactive, c=0.0.0.0 -> inactive', () => {
    const local = { host: '198.18.0.1', port: 30000, sessionId: 1, sessionVersion: 1 };
    expect(buildAnswer(negotiate(janusOffer.replace('a=sendrecv', 'a=sendonly'), policy), local)).toContain('a=recvonly');
    expect(buildAnswer(negotiate(janusOffer.replace('a=sendrecv', 'a=recvonly'), policy), local)).toContain('a=sendonly');
    expect(negotiate(janusOffer.replace('a=sendrecv', 'a=inactive'), policy).audio.direction).toBe('inactive');
    expect(negotiate(janusOffer.replace('c=IN IP4 198.18.0.2', 'c=IN IP4 0.0.0.0'), policy).audio.direction).toBe('inactive');
  });

  it('re-negotiates against the offer in force: a new address and peer key, our key kept; G.711 switches, Opus <-> G.711 moves (a new leg) and SRTP suite changes (with a new key of ours) followed, a telephone-event change alone refused (488)', () => {
    const first = negotiate(janusOffer, policy).audio;
    const newKey = Buffer.alloc(30, 9).toString('base64');
    const moved = janusOffer.replace(/198\.18\.0\.2/g, '198.18.0.3').replace('m=audio 21000', 'm=audio 22000').replace(key, newKey);
    const next = renegotiate(moved, policy, first).audio;
    expect(next).toMatchObject({ codec: 'opus', remoteHost: '198.18.0.3', remotePort: 22000 });
    expect(Buffer.from(next.srtp!.remoteKey).equals(Buffer.alloc(30, 9))).toBe(true);
    expect(next.srtp!.localKey).toBe(first.srtp!.localKey);
    // A new Opus payload type: a new leg (the running one switches only G.711 in place).
    const opus112 = renegotiate(janusOffer.replace(/\b111\b/g, '112'), policy, first).audio;
    expect(opus112).toMatchObject({ codec: 'opus', payloadType: 112 });
    expect(needsNewLeg(first, opus112)).toBe(true);
    // telephone-event moved without a codec change: the running leg cannot follow.
    expect(() => renegotiate(janusOffer.replace(/\b101\b/g, '102'), policy, first)).toThrow(/488/);
    // G.711 can switch within the call (same clock and frame size); the call's codec is kept while offered.
    const pcmu = negotiate(janusOffer.replace('RTP/AVP 111 9 0 8 101', 'RTP/AVP 0 8 101'), policy).audio;
    expect(renegotiate(janusOffer.replace('RTP/AVP 111 9 0 8 101', 'RTP/AVP 8 0 101'), policy, pcmu).audio).toMatchObject({ codec: 'PCMU', payloadType: 0 });
    expect(renegotiate(janusOffer.replace('RTP/AVP 111 9 0 8 101', 'RTP/AVP 8 101'), policy, pcmu).audio).toMatchObject({ codec: 'PCMA', payloadType: 8 });
    const toOpus = renegotiate(janusOffer.replace('RTP/AVP 111 9 0 8 101', 'RTP/AVP 111 101').replace('a=sendrecv', 'a=ptime:40\r\na=sendrecv'), policy, pcmu).audio;
    // The new leg takes the offer's packetization.
    expect(toOpus).toMatchObject({ codec: 'opus', payloadType: 111, packetMs: 40 });
    expect(needsNewLeg(pcmu, toOpus)).toBe(true);
    expect(needsNewLeg(pcmu, renegotiate(janusOffer.replace('RTP/AVP 111 9 0 8 101', 'RTP/AVP 8 101'), policy, pcmu).audio)).toBe(false);
    const resuited = renegotiate(janusOffer.replace('AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'), policy, first).audio;
    expect(resuited.srtp!.suite).toBe('AES_CM_128_HMAC_SHA1_32');
    // Fresh contexts both ways: the same master key must not run under another suite.
    expect(Buffer.from(resuited.srtp!.localKey).equals(first.srtp!.localKey)).toBe(false);
    expect(renegotiate(janusOffer.replace('RTP/AVP 111 9 0 8 101', 'RTP/AVP 0 101'), policy, first).audio).toMatchObject({ codec: 'PCMU', payloadType: 0 });
  });

  it('sends and advertises the offered ptime for G.711 (10-60 ms, within maxptime), for Opus the longest of 10/20/40/60 not above it', () => {
    const local = { host: '198.18.0.1', port: 30000, sessionId: 1, sessionVersion: 1 };
    const pcmu = (lines: string): string => janusOffer.replace('RTP/AVP 111 9 0 8 101', 'RTP/AVP 0 101').replace('a=sendrecv', `${lines}a=sendrecv`);
    expect(negotiate(pcmu('a=ptime:30\r\n'), policy).audio.packetMs).toBe(30);
    expect(buildAnswer(negotiate(pcmu('a=ptime:30\r\n'), policy), local)).toContain('a=ptime:30');
    expect(negotiate(pcmu('a=ptime:60\r\na=maxptime:40\r\n'), policy).audio.packetMs).toBe(40);
    expect(negotiate(pcmu('a=ptime:5\r\n'), policy).audio.packetMs).toBe(10);
    expect(negotiate(pcmu('a=ptime:200\r\n'), policy).audio.packetMs).toBe(60);
    expect(negotiate(pcmu(''), policy).audio.packetMs).toBe(20);
    const opus = (lines: string): number => negotiate(janusOffer.replace('a=sendrecv', `${lines}a=sendrecv`), policy).audio.packetMs;
    expect(opus('a=ptime:40\r\n')).toBe(40);
    expect(opus('a=ptime:30\r\n')).toBe(20);
    expect(opus('a=ptime:60\r\na=maxptime:50\r\n')).toBe(40);
    expect(opus('a=ptime:10\r\n')).toBe(10);
    expect(opus('')).toBe(20);
  });

  it('multiplexes RTCP only when offered a=rtcp-mux (RFC 5761 section 5.1.1), and takes the offer\'s a=rtcp port otherwise', () => {
    const local = { host: '198.18.0.1', port: 30000, sessionId: 1, sessionVersion: 1 };
    const plain = negotiate(janusOffer, policy);
    expect(plain.audio).toMatchObject({ rtcpMux: false, rtcpPort: undefined });
    expect(buildAnswer(plain, local)).not.toContain('a=rtcp-mux');

    const muxed = negotiate(janusOffer.replace('a=sendrecv', 'a=sendrecv\r\na=rtcp-mux'), policy);
    expect(muxed.audio.rtcpMux).toBe(true);
    expect(buildAnswer(muxed, local)).toMatch(/^a=rtcp-mux\r$/m);
    // A re-offer cannot move RTCP: the session's transport was set at its start.
    expect(renegotiate(janusOffer, policy, muxed.audio).audio.rtcpMux).toBe(true);

    const ported = negotiate(janusOffer.replace('a=sendrecv', 'a=sendrecv\r\na=rtcp:21009'), policy);
    expect(ported.audio.rtcpPort).toBe(21009);
    // RTCP elsewhere than the media's host is not followed (reports are read from the media's host).
    const elsewhere = negotiate(janusOffer.replace('a=sendrecv', 'a=sendrecv\r\na=rtcp:21009 IN IP4 203.0.113.9'), policy);
    expect(elsewhere.audio.rtcpPort).toBeUndefined();
  });
});

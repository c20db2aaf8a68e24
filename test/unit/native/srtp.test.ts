import { ProtectionProfileAes128CmHmacSha1_80, RtpHeader, SrtcpSession, SrtpSession as WeriftSrtpSession } from 'werift';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, UnsupportedError } from '../../../engine/errors.js';
import { SrtpError } from '../../../engine/native/errors.js';
import { parseRtpPacket, serializeRtpPacket } from '../../../engine/native/rtp-packet.js';
import { aesCmKeystream, deriveSrtpKey, SrtpKeyLabel, SrtpSession, type SrtpProfileName } from '../../../engine/native/srtp.js';

const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex').toUpperCase();

// RFC 3711 Appendix B.3's master key and salt, reused for the packet tests.
const masterKey = hex('E1F97A0D3E018BE0D64FA32C06DE4139');
const masterSalt = hex('0EC675AD498AFEEBB6960B3AABE6');
const profiles: { name: SrtpProfileName; tagBytes: number }[] = [
  { name: 'AES_CM_128_HMAC_SHA1_80', tagBytes: 10 },
  { name: 'AES_CM_128_HMAC_SHA1_32', tagBytes: 4 },
];

const payload = Uint8Array.from({ length: 160 }, (_, i) => (i * 7) & 0xff);
const rtp = (sequenceNumber: number, ssrc = 0xcafebabe): Uint8Array =>
  serializeRtpPacket({ marker: false, payloadType: 0, sequenceNumber, timestamp: sequenceNumber * 160, ssrc, csrcs: [] }, payload);
// A receiver report (RFC 3550 6.4.2) with one report block.
const rtcp = (): Uint8Array => hex('81C90007 CAFEBABE 11223344 00000001 00000002 00000003 00000004 00000005');

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SrtpError);
    return (error as SrtpError).reason;
  }
  throw new Error('packet was accepted');
}

function weriftSessions(): { srtp: WeriftSrtpSession; srtcp: SrtcpSession } {
  const keys = { localMasterKey: Buffer.from(masterKey), localMasterSalt: Buffer.from(masterSalt), remoteMasterKey: Buffer.from(masterKey), remoteMasterSalt: Buffer.from(masterSalt) };
  const config = { keys, profile: ProtectionProfileAes128CmHmacSha1_80 };
  return { srtp: new WeriftSrtpSession(config), srtcp: new SrtcpSession(config) };
}

function weriftProtect(session: WeriftSrtpSession, packet: Uint8Array): Uint8Array {
  const parsed = parseRtpPacket(packet);
  const header = new RtpHeader({ payloadType: parsed.payloadType, sequenceNumber: parsed.sequenceNumber, timestamp: parsed.timestamp, ssrc: parsed.ssrc, marker: parsed.marker });
  return new Uint8Array(session.encrypt(Buffer.from(parsed.payload), header));
}

describe('SRTP test vectors (RFC 3711 Appendix B)', () => {
  it('B.2: the AES-CM keystream for SSRC 0, index 0, at both ends of the 1 044 512-octet segment', () => {
    const keystream = aesCmKeystream(hex('2B7E151628AED2A6ABF7158809CF4F3C'), hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD'), 0, 0, 1_044_512);
    expect(toHex(keystream.subarray(0, 48))).toBe('E03EAD0935C95E80E166B16DD92B4EB4' + 'D23513162B02D0F72A43A2FE4A5F97AB' + '41E95B3BB0A2E8DD477901E4FCA894C0');
    expect(toHex(keystream.subarray(-48))).toBe('EC8CDF7398607CB0F2D21675EA9EA1E4' + '362B7C3C6773516318A077D7FC5073AE' + '6A2CC3787889374FBEB4C81B17BA6C44');
  });

  it('B.3: cipher key, cipher salt and the 94-octet auth key from the master key', () => {
    expect(toHex(deriveSrtpKey(masterKey, masterSalt, SrtpKeyLabel.rtpCipher, 16))).toBe('C61E7A93744F39EE10734AFE3FF7A087');
    expect(toHex(deriveSrtpKey(masterKey, masterSalt, SrtpKeyLabel.rtpSalt, 14))).toBe('30CBBC08863D8C85D49DB34A9AE1');
    expect(toHex(deriveSrtpKey(masterKey, masterSalt, SrtpKeyLabel.rtpAuth, 94))).toBe(
      'CEBE321F6FF7716B6FD4AB49AF256A15' + '6D38BAA48F0A0ACF3C34E2359E6CDBCE' + 'E049646C43D9327AD175578EF7227098' +
        '6371C10C9A369AC2F94A8C5FBCDDDC25' + '6D6E919A48B610EF17C2041E47403576' + '6B68642C59BBFC2F34DB60DBDFB2',
    );
  });
});

describe.each(profiles)('SRTP $name', ({ name, tagBytes }) => {
  it('protects (header in clear, payload encrypted, tag appended) and unprotects back', () => {
    const sender = new SrtpSession(name, masterKey, masterSalt);
    const receiver = new SrtpSession(name, masterKey, masterSalt);
    for (let seq = 1000; seq < 1010; seq++) {
      const plain = rtp(seq);
      const protectedPacket = sender.protectRtp(plain);
      expect(protectedPacket.length).toBe(plain.length + tagBytes);
      expect([...protectedPacket.subarray(0, 12)]).toEqual([...plain.subarray(0, 12)]);
      const cipherPayload = protectedPacket.subarray(12, plain.length);
      expect(cipherPayload.filter((byte, i) => byte === payload[i]).length).toBeLessThan(10);
      expect([...receiver.unprotectRtp(protectedPacket)]).toEqual([...plain]);
    }
  });

  it('protects SRTCP with the E bit, a counting index and an 80-bit tag (RFC 4568 6.2.2)', () => {
    const sender = new SrtpSession(name, masterKey, masterSalt);
    const receiver = new SrtpSession(name, masterKey, masterSalt);
    for (let index = 0; index < 3; index++) {
      const plain = rtcp();
      const protectedPacket = sender.protectRtcp(plain);
      expect(protectedPacket.length).toBe(plain.length + 4 + 10);
      expect(toHex(protectedPacket.subarray(plain.length, plain.length + 4))).toBe((0x80000000 + index).toString(16).toUpperCase());
      expect([...protectedPacket.subarray(0, 8)]).toEqual([...plain.subarray(0, 8)]);
      expect(toHex(protectedPacket.subarray(8, plain.length))).not.toBe(toHex(plain.subarray(8)));
      expect([...receiver.unprotectRtcp(protectedPacket)]).toEqual([...plain]);
    }
  });

  it('interoperates with werift in both directions (its _80 tag cut to 32 bits for _32)', () => {
    const ours = new SrtpSession(name, masterKey, masterSalt);
    const theirs = weriftSessions();
    for (let seq = 7; seq < 12; seq++) {
      const plain = rtp(seq);
      // Theirs -> ours: the _32 tag is the first 4 octets of the same HMAC-SHA1 (RFC 3711 4.2).
      const theirPacket = weriftProtect(theirs.srtp, plain);
      const forOurProfile = theirPacket.subarray(0, plain.length + tagBytes);
      expect([...ours.unprotectRtp(forOurProfile)]).toEqual([...plain]);
      // Ours -> theirs: identical bytes up to our tag's end.
      const ourPacket = new SrtpSession(name, masterKey, masterSalt).protectRtp(plain);
      expect(toHex(ourPacket)).toBe(toHex(forOurProfile));
      if (tagBytes === 10) expect([...theirs.srtp.decrypt(Buffer.from(ourPacket))]).toEqual([...plain]);
    }
    const ourRtcp = ours.protectRtcp(rtcp());
    expect([...theirs.srtcp.decrypt(Buffer.from(ourRtcp))]).toEqual([...rtcp()]);
    const theirRtcp = new Uint8Array(theirs.srtcp.encrypt(Buffer.from(rtcp())));
    expect([...new SrtpSession(name, masterKey, masterSalt).unprotectRtcp(theirRtcp)]).toEqual([...rtcp()]);
  });

  it('refuses a packet whose tag, header or payload was altered, and still takes the genuine one', () => {
    const sender = new SrtpSession(name, masterKey, masterSalt);
    const receiver = new SrtpSession(name, masterKey, masterSalt);
    const genuine = sender.protectRtp(rtp(42));
    for (const at of [1, 5, 20, genuine.length - 1]) {
      const forged = genuine.slice();
      forged[at]! ^= 0x01;
      expect(refusal(() => receiver.unprotectRtp(forged))).toBe('auth_failed');
    }
    expect(receiver.unprotectRtp(genuine).length).toBe(genuine.length - tagBytes);
    const genuineRtcp = sender.protectRtcp(rtcp());
    const forgedRtcp = genuineRtcp.slice();
    forgedRtcp[10]! ^= 0x80;
    expect(refusal(() => receiver.unprotectRtcp(forgedRtcp))).toBe('auth_failed');
    expect(() => receiver.unprotectRtcp(genuineRtcp)).not.toThrow();
    expect(() => new SrtpSession(name, hex('00'.repeat(16)), masterSalt).unprotectRtp(sender.protectRtp(rtp(43)))).toThrow(SrtpError);
  });

  it('refuses a replayed index and one older than the 64-packet window, takes reordered ones inside it', () => {
    const sender = new SrtpSession(name, masterKey, masterSalt);
    const receiver = new SrtpSession(name, masterKey, masterSalt);
    const packets = Array.from({ length: 100 }, (_, i) => sender.protectRtp(rtp(i)));
    receiver.unprotectRtp(packets[50]!);
    expect(refusal(() => receiver.unprotectRtp(packets[50]!))).toBe('replayed');
    expect(() => receiver.unprotectRtp(packets[40]!)).not.toThrow(); // late but inside the window
    expect(refusal(() => receiver.unprotectRtp(packets[40]!))).toBe('replayed');
    receiver.unprotectRtp(packets[99]!);
    expect(refusal(() => receiver.unprotectRtp(packets[30]!))).toBe('too_old');
    const rtcpPacket = sender.protectRtcp(rtcp());
    receiver.unprotectRtcp(rtcpPacket);
    expect(refusal(() => receiver.unprotectRtcp(rtcpPacket))).toBe('replayed');
  });

  it('does not let a forged packet from another SSRC reset the replay window', () => {
    const sender = new SrtpSession(name, masterKey, masterSalt);
    const receiver = new SrtpSession(name, masterKey, masterSalt);
    const genuine = sender.protectRtp(rtp(5));
    receiver.unprotectRtp(genuine);
    const forged = new SrtpSession(name, hex('11'.repeat(16)), masterSalt).protectRtp(rtp(6, 0x12345678));
    expect(refusal(() => receiver.unprotectRtp(forged))).toBe('auth_failed');
    expect(refusal(() => receiver.unprotectRtp(genuine))).toBe('replayed');
  });

  it('keeps ROC and replay state per SSRC: a replayed packet of an old SSRC leaves the live stream decrypting', () => {
    const sender = new SrtpSession(name, masterKey, masterSalt);
    const receiver = new SrtpSession(name, masterKey, masterSalt);
    // An old stream (SSRC A), then the live one (SSRC B) whose sequence wraps, so its ROC is 1.
    const old = [1, 2, 3].map((seq) => sender.protectRtp(rtp(seq, 0xaaaa0001)));
    for (const packet of old) receiver.unprotectRtp(packet);
    let seq = 65500;
    const live = (): Uint8Array => sender.protectRtp(rtp(seq++ & 0xffff, 0xbbbb0002));
    for (let i = 0; i < 100; i++) receiver.unprotectRtp(live());
    expect(sender.rolloverCounter).toBe(1);
    // The attacker replays a genuine packet of the old SSRC: its own replay list refuses it.
    expect(refusal(() => receiver.unprotectRtp(old[2]!))).toBe('replayed');
    let decrypted = 0;
    for (let i = 0; i < 1000; i++) {
      const sequenceNumber = seq & 0xffff;
      const plain = receiver.unprotectRtp(live());
      if (parseRtpPacket(plain).sequenceNumber === sequenceNumber) decrypted++;
    }
    expect(decrypted).toBe(1000);
  });

  it('holds a bounded number of SSRCs: the least recently used one is forgotten', () => {
    const sender = new SrtpSession(name, masterKey, masterSalt);
    const receiver = new SrtpSession(name, masterKey, masterSalt);
    const first = sender.protectRtp(rtp(7, 0x100));
    receiver.unprotectRtp(first);
    for (let ssrc = 0x101; ssrc < 0x100 + 64; ssrc++) receiver.unprotectRtp(sender.protectRtp(rtp(7, ssrc)));
    expect(receiver.receiveStreams).toBe(8);
    // Its replay list went with it: the old packet is taken as the start of a new stream.
    expect([...receiver.unprotectRtp(first)]).toEqual([...rtp(7, 0x100)]);
  });

  it('carries the rollover counter across 65535 -> 0 and places late pre-wrap packets in the old ROC', () => {
    const sender = new SrtpSession(name, masterKey, masterSalt);
    const receiver = new SrtpSession(name, masterKey, masterSalt);
    const theirs = weriftSessions();
    const sequence = [65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 2, 3];
    const ours = sequence.map((seq) => sender.protectRtp(rtp(seq)));
    expect(sender.rolloverCounter).toBe(1);
    // werift counts the wrap on its own: the same bytes mean the same ROC went into the tag and IV.
    const reference = sequence.map((seq) => weriftProtect(theirs.srtp, rtp(seq)).subarray(0, rtp(seq).length + tagBytes));
    expect(ours.map(toHex)).toEqual(reference.map(toHex));
    // Arrival order: the wrap, then two packets from before it, then the rest.
    for (const position of [0, 1, 2, 6, 7, 3, 4, 5, 8, 9]) {
      expect([...receiver.unprotectRtp(ours[position]!)]).toEqual([...rtp(sequence[position]!)]);
    }
    expect(refusal(() => receiver.unprotectRtp(ours[4]!))).toBe('replayed');
  });

  it('refuses truncated packets with a typed reason', () => {
    const session = new SrtpSession(name, masterKey, masterSalt);
    expect(refusal(() => session.unprotectRtp(new Uint8Array(12 + tagBytes - 1)))).toBe('truncated');
    expect(refusal(() => session.protectRtp(new Uint8Array(11)))).toBe('truncated');
    expect(refusal(() => session.unprotectRtcp(new Uint8Array(21)))).toBe('truncated');
    // X bit set, extension length pointing past the end.
    expect(refusal(() => session.protectRtp(hex('90000001 00000000 00000000 BEDE00FF')))).toBe('truncated');
  });
});

describe('SRTP session arguments', () => {
  it('refuses an unknown profile and keys of the wrong size', () => {
    expect(() => new SrtpSession('AEAD_AES_128_GCM' as SrtpProfileName, masterKey, masterSalt)).toThrow(UnsupportedError);
    expect(() => new SrtpSession('AES_CM_128_HMAC_SHA1_80', masterKey.subarray(1), masterSalt)).toThrow(InvalidArgumentError);
    expect(() => new SrtpSession('AES_CM_128_HMAC_SHA1_80', masterKey, masterKey)).toThrow(InvalidArgumentError);
  });
});

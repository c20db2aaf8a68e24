import { RtpHeader, RtpPacket as WeriftRtpPacket } from 'werift';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../engine/errors.js';
import { MalformedRtpError } from '../../../engine/native/errors.js';
import { parseRtpPacket, serializeRtpPacket, type RtpHeaderFields } from '../../../engine/native/rtp-packet.js';

const header: RtpHeaderFields = {
  marker: true,
  payloadType: 111,
  sequenceNumber: 0xfffe,
  timestamp: 0xdeadbeef,
  ssrc: 0x01020304,
  csrcs: [],
};
const payload = Uint8Array.from({ length: 40 }, (_, i) => i + 1);
const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

function malformedReason(packet: Uint8Array): string {
  try {
    parseRtpPacket(packet);
  } catch (error) {
    expect(error).toBeInstanceOf(MalformedRtpError);
    return (error as MalformedRtpError).reason;
  }
  throw new Error('packet was accepted');
}

describe('RTP packet (RFC 3550, RFC 8285)', () => {
  it('writes the fixed header fields bit for bit as section 5.1 lays them out', () => {
    const packet = serializeRtpPacket(header, payload);
    expect([...packet.subarray(0, 12)]).toEqual([0x80, 0x80 | 111, 0xff, 0xfe, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4]);
    expect(packet.length).toBe(52);
    const parsed = parseRtpPacket(packet);
    expect(parsed).toMatchObject({ ...header, padding: false, paddingLength: 0, extensionProfile: undefined, extensions: [] });
    expect([...parsed.payload]).toEqual([...payload]);
  });

  it('round-trips the marker, every payload type and a full CSRC list', () => {
    for (const payloadType of [0, 8, 9, 96, 127]) {
      const csrcs = Array.from({ length: 15 }, (_, i) => (0x11111111 * (i + 1)) >>> 0);
      const packet = serializeRtpPacket({ ...header, marker: payloadType % 2 === 0, payloadType, csrcs }, payload);
      expect(packet[0]).toBe(0x80 | 15);
      const parsed = parseRtpPacket(packet);
      expect(parsed.payloadType).toBe(payloadType);
      expect(parsed.marker).toBe(payloadType % 2 === 0);
      expect(parsed.csrcs).toEqual(csrcs);
      expect(parsed.payload.byteOffset - packet.byteOffset).toBe(12 + 60);
    }
  });

  it('strips padding by the count in the last octet (section 5.1)', () => {
    const packet = new Uint8Array([...serializeRtpPacket(header, payload), 0, 0, 0, 4]);
    packet[0]! |= 0x20;
    const parsed = parseRtpPacket(packet);
    expect(parsed.padding).toBe(true);
    expect(parsed.paddingLength).toBe(4);
    expect([...parsed.payload]).toEqual([...payload]);
  });

  it('round-trips RFC 8285 one-byte elements, padded to a 32-bit boundary', () => {
    const extensions = [
      { id: 1, data: bytes(0x42) },
      { id: 3, data: bytes(1, 2, 3) },
      { id: 14, data: Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i) },
    ];
    const packet = serializeRtpPacket(header, payload, extensions);
    // 2 + 4 + 17 = 23 bytes of elements -> 24, i.e. 6 words after the 0xBEDE / length word.
    expect([...packet.subarray(12, 16)]).toEqual([0xbe, 0xde, 0, 6]);
    expect(packet[16]).toBe(0x10);
    expect(packet[0]! & 0x10).toBe(0x10);
    const parsed = parseRtpPacket(packet);
    expect(parsed.extensionProfile).toBe(0xbede);
    expect(parsed.extensions.map(({ id, data }) => ({ id, data: [...data] }))).toEqual(extensions.map(({ id, data }) => ({ id, data: [...data] })));
    expect([...parsed.payload]).toEqual([...payload]);
  });

  it('switches to two-byte elements for id 15+, empty or 17+ byte data (section 4.3)', () => {
    const extensions = [
      { id: 200, data: bytes(7, 7) },
      { id: 2, data: new Uint8Array(0) },
      { id: 5, data: Uint8Array.from({ length: 255 }, (_, i) => i) },
    ];
    const packet = serializeRtpPacket({ ...header, csrcs: [9] }, payload, extensions);
    expect([...packet.subarray(16, 18)]).toEqual([0x10, 0x00]);
    expect([...packet.subarray(20, 24)]).toEqual([200, 2, 7, 7]);
    const parsed = parseRtpPacket(packet);
    expect(parsed.extensionProfile).toBe(0x1000);
    expect(parsed.csrcs).toEqual([9]);
    expect(parsed.extensions.map(({ id, data }) => ({ id, data: [...data] }))).toEqual(extensions.map(({ id, data }) => ({ id, data: [...data] })));
    expect([...parsed.payload]).toEqual([...payload]);
  });

  it('skips one-byte padding (ID 0), stops at ID 15, and ignores unknown extension profiles', () => {
    // 0xBEDE, 2 words: pad, id 1 len 1, pad, id 15 (stop), then bytes that would be garbage.
    const oneByte = bytes(0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xde, 0, 2, 0, 0x10, 0x55, 0, 0xf0, 0xff, 0xff, 0xff, 9);
    const parsed = parseRtpPacket(oneByte);
    expect(parsed.extensions.map(({ id, data }) => [id, [...data]])).toEqual([[1, [0x55]]]);
    expect([...parsed.payload]).toEqual([9]);
    // RFC 3550 5.3.1 extension with a profile of its own: skipped whole.
    const other = bytes(0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34, 0, 1, 1, 2, 3, 4, 9, 8);
    const otherParsed = parseRtpPacket(other);
    expect(otherParsed.extensionProfile).toBe(0x1234);
    expect(otherParsed.extensions).toEqual([]);
    expect([...otherParsed.payload]).toEqual([9, 8]);
  });

  it('agrees with werift, an independent implementation, in both directions', () => {
    const extensions = [{ id: 4, data: bytes(0xca, 0xfe) }];
    const ours = serializeRtpPacket({ ...header, csrcs: [7, 8] }, payload, extensions);
    const theirs = WeriftRtpPacket.deSerialize(Buffer.from(ours));
    expect(theirs.header).toMatchObject({ marker: true, payloadType: 111, sequenceNumber: 0xfffe, timestamp: 0xdeadbeef, ssrc: 0x01020304, csrc: [7, 8] });
    expect(theirs.header.extensions.map(({ id, payload: data }) => [id, [...data]])).toEqual([[4, [0xca, 0xfe]]]);
    expect([...theirs.payload]).toEqual([...payload]);

    const weriftHeader = new RtpHeader({ payloadType: 0, sequenceNumber: 513, timestamp: 160, ssrc: 42, marker: false, extension: true, extensionProfile: 0x1000, extensions: [{ id: 30, payload: Buffer.from([1, 2, 3]) }] });
    const weriftBytes = new Uint8Array(new WeriftRtpPacket(weriftHeader, Buffer.from(payload)).serialize());
    const parsed = parseRtpPacket(weriftBytes);
    expect(parsed).toMatchObject({ payloadType: 0, sequenceNumber: 513, timestamp: 160, ssrc: 42, marker: false, extensionProfile: 0x1000 });
    expect(parsed.extensions.map(({ id, data }) => [id, [...data]])).toEqual([[30, [1, 2, 3]]]);
    expect([...parsed.payload]).toEqual([...payload]);
  });

  it('refuses fields it cannot write with an InvalidArgumentError', () => {
    expect(() => serializeRtpPacket({ ...header, payloadType: 128 }, payload)).toThrow(InvalidArgumentError);
    expect(() => serializeRtpPacket({ ...header, sequenceNumber: 65536 }, payload)).toThrow(InvalidArgumentError);
    expect(() => serializeRtpPacket({ ...header, csrcs: new Array<number>(16).fill(1) }, payload)).toThrow(InvalidArgumentError);
    expect(() => serializeRtpPacket(header, payload, [{ id: 0, data: bytes(1) }])).toThrow(InvalidArgumentError);
    expect(() => serializeRtpPacket(header, payload, [{ id: 1, data: new Uint8Array(256) }])).toThrow(InvalidArgumentError);
  });

  describe('malformed input gets its typed reason', () => {
    const valid = serializeRtpPacket({ ...header, csrcs: [1, 2] }, payload, [{ id: 1, data: bytes(1, 2, 3, 4) }]);

    it('truncated fixed header', () => {
      for (let length = 0; length < 12; length++) expect(malformedReason(valid.slice(0, length))).toBe('truncated');
    });

    it('bad version', () => {
      for (const version of [0, 1, 3]) {
        const packet = valid.slice();
        packet[0] = (packet[0]! & 0x3f) | (version << 6);
        expect(malformedReason(packet)).toBe('bad_version');
      }
    });

    it('CSRC list past the end', () => {
      const packet = serializeRtpPacket({ ...header, csrcs: [] }, new Uint8Array(8));
      packet[0] = 0x80 | 3; // three CSRCs = 12 bytes, only 8 follow
      expect(malformedReason(packet)).toBe('csrc_overrun');
    });

    it('extension header or its body past the end', () => {
      expect(malformedReason(bytes(0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xde))).toBe('extension_overrun');
      const packet = valid.slice();
      packet[22] = 0x40; // extension length word: 64 words
      expect(malformedReason(packet)).toBe('extension_overrun');
    });

    it('an RFC 8285 element longer than its block', () => {
      // one-byte: id 1 says 16 bytes, the block holds 3 after it
      expect(malformedReason(bytes(0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xde, 0, 1, 0x1f, 0, 0, 0, 9))).toBe('bad_extension');
      // two-byte: id 1 says 9 bytes, the block holds 2
      expect(malformedReason(bytes(0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 1, 1, 9, 0, 0, 9))).toBe('bad_extension');
    });

    it('padding count of zero or past the payload', () => {
      const zero = valid.slice();
      zero[0]! |= 0x20;
      zero[zero.length - 1] = 0;
      expect(malformedReason(zero)).toBe('bad_padding');
      const tooMuch = valid.slice();
      tooMuch[0]! |= 0x20;
      tooMuch[tooMuch.length - 1] = payload.length + 1;
      expect(malformedReason(tooMuch)).toBe('bad_padding');
    });

    it('a packet longer than any datagram', () => {
      const huge = new Uint8Array(70_000);
      huge.set(valid);
      expect(malformedReason(huge)).toBe('too_long');
    });
  });

  it('answers 20 000 random mutations with a typed error or a consistent parse, never a crash', () => {
    // xorshift32: deterministic, so a failure reproduces.
    let state = 0x9e3779b9;
    const random = (n: number): number => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) % n;
    };
    const seeds = [
      serializeRtpPacket({ ...header, csrcs: [1, 2, 3] }, payload, [{ id: 1, data: bytes(1) }, { id: 2, data: bytes(1, 2, 3) }]),
      serializeRtpPacket(header, payload, [{ id: 99, data: bytes(5, 6) }, { id: 3, data: new Uint8Array(0) }]),
      new Uint8Array([...serializeRtpPacket(header, payload), 0, 0, 3].map((b, i) => (i === 0 ? b | 0x20 : b))),
    ];
    const reasons = new Map<string, number>();
    let accepted = 0;
    for (let round = 0; round < 20_000; round++) {
      const seed = seeds[random(seeds.length)]!;
      let packet = seed.slice();
      for (let flips = 1 + random(4); flips > 0; flips--) packet[random(packet.length)] = random(256);
      if (random(4) === 0) packet = packet.slice(0, random(packet.length + 1));
      if (random(8) === 0) packet = new Uint8Array([...packet, ...new Uint8Array(random(64)).map(() => random(256))]);
      try {
        const parsed = parseRtpPacket(packet);
        accepted++;
        const payloadStart = parsed.payload.byteOffset - packet.byteOffset;
        expect(payloadStart + parsed.payload.length + parsed.paddingLength).toBe(packet.length);
        for (const { data } of parsed.extensions) {
          expect(data.byteOffset - packet.byteOffset + data.length).toBeLessThanOrEqual(payloadStart);
        }
      } catch (error) {
        if (!(error instanceof MalformedRtpError)) throw error;
        reasons.set(error.reason, (reasons.get(error.reason) ?? 0) + 1);
      }
    }
    // The fuzz reached the parser's refusals, not only one of them.
    expect(accepted).toBeGreaterThan(1000);
    expect([...reasons.keys()].sort()).toEqual(['bad_extension', 'bad_padding', 'bad_version', 'csrc_overrun', 'extension_overrun', 'truncated']);
  });
});

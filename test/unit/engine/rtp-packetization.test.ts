// The send path's packetization (the SIP answer's a=ptime): G.711 frames cut into 10 ms packets
// or joined into 30/40/60 ms ones, Opus encoded as 10/40/60 ms frames, each stamped with the RTP time of its first sample, with no
// gap or overlap in the timestamps and the payload size the duration says.
import { describe, expect, it } from 'vitest';
import { RtpPacket } from 'werift';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import { rtpBytes } from '../../support/trace-player.js';
import { sine } from '../../support/test-signals.js';

describe('RTP packetization on send', () => {
  for (const packetMs of [10, 20, 30, 40, 60]) {
    it(`sends PCMU in ${packetMs} ms packets with continuous timestamps`, () => {
      const engine = new MediaEngine({ clock: 'manual' });
      const startUs = 1_000_000;
      const out: Buffer[] = [];
      const { session } = engine.createRtpSession('packets', { codec: 'PCMU', transport: 'external', bargeIn: false, botRateHz: 8000, packetMs: packetMs === 20 ? undefined : packetMs }, { startUs, onOutbound: (packets) => out.push(...packets) });
      // One packet from the caller makes the leg active.
      session.ingest(rtpBytes({ payloadType: 0, ssrc: 9, sequenceNumber: 1, timestamp: 0 }, new Uint8Array(160).fill(0xff)), startUs);
      session.play(sine(8000 * 2, 8000, 440, 8000));
      for (let frame = 0; frame < 60; frame++) engine.tick(startUs + frame * 20_000);
      engine.stop();

      const packets = out.map((bytes) => RtpPacket.deSerialize(bytes)).filter((packet) => packet.header.payloadType === 0);
      expect(packets.length).toBeGreaterThanOrEqual(Math.floor((59 * 20) / packetMs) - 1);
      const samples = packetMs * 8;
      for (const packet of packets) expect(packet.payload.length).toBe(samples);
      for (let i = 1; i < packets.length; i++) {
        expect((packets[i]!.header.timestamp - packets[i - 1]!.header.timestamp) >>> 0).toBe(samples);
        expect((packets[i]!.header.sequenceNumber - packets[i - 1]!.header.sequenceNumber) & 0xffff).toBe(1);
      }
    });
  }

  // RFC 7587 section 4.2: one Opus packet per RTP packet; its TOC byte (RFC 6716 section 3.1)
  // gives the frame size and count, which must add up to the answer's ptime.
  for (const packetMs of [10, 40, 60]) {
    it(`sends Opus in ${packetMs} ms packets, each one Opus frame of that length, timestamps ${packetMs * 48} apart`, () => {
      const engine = new MediaEngine({ clock: 'manual' });
      const startUs = 1_000_000;
      const out: Buffer[] = [];
      const { session } = engine.createRtpSession('opus', { codec: 'opus', payloadType: 111, transport: 'external', bargeIn: false, botRateHz: 16000, packetMs }, { startUs, onOutbound: (packets) => out.push(...packets) });
      session.ingest(rtpBytes({ payloadType: 111, ssrc: 9, sequenceNumber: 1, timestamp: 0 }, new Uint8Array([0xf8, 0xff, 0xfe])), startUs);
      session.play(sine(16000 * 2, 16000, 440, 8000));
      for (let frame = 0; frame < 60; frame++) engine.tick(startUs + frame * 20_000);
      engine.stop();

      const packets = out.map((bytes) => RtpPacket.deSerialize(bytes)).filter((packet) => packet.header.payloadType === 111);
      expect(packets.length).toBeGreaterThanOrEqual(Math.floor((59 * 20) / packetMs) - 1);
      for (const packet of packets) expect(opusPacketMs(packet.payload)).toBe(packetMs);
      for (let i = 1; i < packets.length; i++) {
        expect((packets[i]!.header.timestamp - packets[i - 1]!.header.timestamp) >>> 0).toBe(packetMs * 48);
        expect((packets[i]!.header.sequenceNumber - packets[i - 1]!.header.sequenceNumber) & 0xffff).toBe(1);
      }
    });
  }

  it('refuses an Opus packet duration that is not one Opus frame size (30 ms), and one outside 10-60 ms', () => {
    const engine = new MediaEngine({ clock: 'manual' });
    expect(() => engine.createRtpSession('opus', { codec: 'opus', transport: 'external', packetMs: 30 }, { onOutbound: () => undefined })).toThrow(/packet_ms/);
    expect(() => engine.createRtpSession('pcmu', { codec: 'PCMU', transport: 'external', packetMs: 70 })).toThrow();
    engine.stop();
  });
});

// RFC 6716 section 3.1: the TOC's config gives the frame size, its code the frame count.
function opusPacketMs(payload: Buffer): number {
  const config = payload[0]! >> 3;
  const frameMs = config < 12 ? [10, 20, 40, 60][config % 4]! : config < 16 ? [10, 20][config % 2]! : [2.5, 5, 10, 20][config % 4]!;
  const code = payload[0]! & 3;
  const frames = code === 0 ? 1 : code === 3 ? payload[1]! & 0x3f : 2;
  return frameMs * frames;
}

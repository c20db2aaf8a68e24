// The send path's packetization (the SIP answer's a=ptime): G.711 frames cut into 10 ms packets
// or joined into 30/40/60 ms ones, each stamped with the RTP time of its first sample, with no
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

  it('refuses a packet duration the codec cannot be cut to (Opus) or outside 10-60 ms', () => {
    const engine = new MediaEngine({ clock: 'manual' });
    expect(() => engine.createRtpSession('opus', { codec: 'opus', transport: 'external', packetMs: 40 }, { onOutbound: () => undefined })).toThrow(/packet_ms/);
    expect(() => engine.createRtpSession('pcmu', { codec: 'PCMU', transport: 'external', packetMs: 70 })).toThrow();
    engine.stop();
  });
});

// RFC 4733 section 2.1: telephone-event timestamps and durations count the event format's own
// clock. An Opus call (48 kHz) with telephone-event/8000 sends a 100 ms digit as durations in
// 8 kHz ticks (800), and reads the peer's the same way.
import { describe, expect, it } from 'vitest';
import { RtpPacket } from 'werift';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import { rtpBytes } from '../../support/trace-player.js';

const EVENT_PT = 101;

function eventPayload(event: number, end: boolean, duration: number): Uint8Array {
  return Uint8Array.from([event, (end ? 0x80 : 0) | 10, duration >> 8, duration & 0xff]);
}

describe('telephone-event at its own clock beside Opus', () => {
  it('sends and reads durations in the 8 kHz event clock', () => {
    const engine = new MediaEngine({ clock: 'manual' });
    const startUs = 1_000_000;
    const out: Buffer[] = [];
    const digits: Array<[string, number]> = [];
    const { session } = engine.createRtpSession('dtmf', { codec: 'opus', payloadType: 111, telephoneEventPayloadType: EVENT_PT, telephoneEventClockHz: 8000, transport: 'external', bargeIn: false }, { startUs, onOutbound: (packets) => out.push(...packets) });
    session.on('dtmf', (digit, durationMs) => digits.push([digit, durationMs]));
    // The peer's digit 5: 200 ms in 8 kHz ticks, sent as an event of 1600.
    for (let i = 0; i < 10; i++) {
      const duration = Math.min(1600, 160 * (i + 1));
      session.ingest(rtpBytes({ payloadType: EVENT_PT, ssrc: 3, sequenceNumber: 10 + i, timestamp: 5000, marker: i === 0 }, eventPayload(5, i >= 9, duration)), startUs + i * 20_000);
    }
    session.sendDtmf('7');
    for (let frame = 0; frame < 30; frame++) engine.tick(startUs + frame * 20_000);
    engine.stop();

    expect(digits).toEqual([['5', 200]]);
    const events = out.map((bytes) => RtpPacket.deSerialize(bytes)).filter((packet) => packet.header.payloadType === EVENT_PT);
    const durations = events.map((packet) => packet.payload.readUInt16BE(2));
    expect(durations.slice(0, 3)).toEqual([160, 320, 480]);
    expect(Math.max(...durations)).toBe(800);
  });
});

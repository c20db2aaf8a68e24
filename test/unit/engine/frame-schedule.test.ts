// A session's frames fall on the engine's tick boundaries, whenever the call was set up. The load
// bench found PCMU calls whose frames fell due ~5 ms after the ticks' aim: each frame waited ~15 ms
// for the next tick, and a tick 5 ms late sent two frames at once and none the next, which the
// receiver saw as 15-20 ms of jitter against the RTP timestamps. Manual clock: ticks aimed at 20 ms boundaries with a few ms of timer lateness.
import alawmulaw from 'alawmulaw';
import { RtpPacket } from 'werift';
import { afterEach, describe, expect, it } from 'vitest';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import { sine } from '../../support/test-signals.js';
import { rtpBytes } from '../../support/trace-player.js';

const BOUNDARY_US = 1_000_000;
const FRAME_US = 20_000;
// How late each tick fires after its boundary, cycled: a timer on a lightly loaded machine.
const TIMER_LATENESS_US = [6_000, 0, 3_000, 500, 7_000, 1_000];

let engine: MediaEngine | undefined;
afterEach(() => engine?.stop());

describe('frame schedule', () => {
  it.each([2_000, 5_000])(
    'a call set up %d µs after a boundary sends one echoed frame per tick, each on its RTP timestamp',
    (setupOffsetUs) => {
      engine = new MediaEngine({ clock: 'manual' });
      const sent: { tick: number; packet: RtpPacket }[] = [];
      let tick = 0;
      const { session } = engine.createRtpSession(
        'schedule',
        { codec: 'PCMU', botRateHz: 8000, transport: 'external', bargeIn: false },
        { startUs: BOUNDARY_US + setupOffsetUs, onOutbound: (packets) => sent.push(...packets.map((p) => ({ tick, packet: RtpPacket.deSerialize(p) }))) },
      );
      const framesPerTick: number[] = [];
      session.on('audio', (pcm) => {
        framesPerTick[tick] = (framesPerTick[tick] ?? 0) + 1;
        session.play(pcm);
      });
      const payload = alawmulaw.mulaw.encode(sine(160, 8000, 440, 8000));
      const ticks = 60;
      for (tick = 0; tick < ticks; tick++) {
        const nowUs = BOUNDARY_US + (tick + 1) * FRAME_US + TIMER_LATENESS_US[tick % TIMER_LATENESS_US.length]!;
        session.ingest(rtpBytes({ payloadType: 0, ssrc: 0xca11, sequenceNumber: tick, timestamp: tick * 160 }, payload), nowUs);
        engine.tick(nowUs);
      }
      // Once the jitter buffer has started playing, every tick hands the bot exactly one frame.
      const firstPlaying = framesPerTick.findIndex((count) => count !== undefined);
      expect(firstPlaying).toBeGreaterThanOrEqual(0);
      const counts = Array.from({ length: ticks - firstPlaying }, (_, i) => framesPerTick[firstPlaying + i] ?? 0);
      expect(counts).toEqual(counts.map(() => 1));
      // The echo goes out one packet per tick, and its RTP timestamp advances with the ticks: the
      // send time minus the media time stays constant (RFC 3550 section 6.4.1's transit is flat).
      expect(sent.length).toBeGreaterThan(40);
      const offsets = sent.map(({ tick: at, packet }) => at - (packet.header.timestamp - sent[0]!.packet.header.timestamp) / 160);
      expect(new Set(offsets)).toEqual(new Set([sent[0]!.tick]));
      // One talkspurt (RFC 3551 section 4.1): the echo never ran dry and restarted.
      expect(sent.filter(({ packet }) => packet.header.marker)).toHaveLength(1);
    },
  );
});

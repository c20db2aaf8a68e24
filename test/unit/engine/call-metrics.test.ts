// A call's final media stats reach /metrics when it ends: packets both ways, drops by reason,
// jitter-buffer outcomes.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Call } from '../../../engine/call/call.js';
import { InlineLeg } from '../../../engine/call/media-leg.js';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import { registry } from '../../../engine/metrics.js';
import { metricValue } from '../../support/metric-value.js';
import { rtpBytes } from '../../support/trace-player.js';

describe('call media metrics', () => {
  it('adds an ended call\'s packets, drops and jitter-buffer losses to the registry', async () => {
    const engine = new MediaEngine({ clock: 'manual' });
    const startUs = 1_000_000;
    const { session } = engine.createRtpSession(
      'metrics-call',
      { codec: 'PCMU', transport: 'external', bargeIn: false },
      { startUs, onOutbound: () => undefined },
    );
    const before = {
      in: await metricValue('parley_media_packets_total', { direction: 'in' }),
      out: await metricValue('parley_media_packets_total', { direction: 'out' }),
      wrongPt: await metricValue('parley_media_packets_dropped_total', { reason: 'wrong_payload_type' }),
      lost: await metricValue('parley_jitter_buffer_events_total', { event: 'lost' }),
    };
    const call = new Call({ callId: 'metrics-call', source: 'sip' }, new InlineLeg(session, () => ({ stop: () => undefined })), pino({ level: 'silent' }));
    call.start(60_000);
    const silence = new Uint8Array(160).fill(0xff);
    let nowUs = startUs;
    for (let i = 0; i < 50; i++) {
      // Packet 20 never arrives (lost); one packet of another payload type is dropped.
      if (i !== 20) session.ingest(rtpBytes({ payloadType: 0, ssrc: 7, sequenceNumber: 100 + i, timestamp: 160 * i }, silence), nowUs);
      if (i === 30) session.ingest(rtpBytes({ payloadType: 18, ssrc: 7, sequenceNumber: 5000, timestamp: 0 }, silence), nowUs);
      engine.tick(nowUs);
      nowUs += 20_000;
    }
    const stats = session.stats();
    call.end('test_done');
    engine.stop();

    expect(stats.packetsReceived).toBeGreaterThanOrEqual(49);
    expect(await metricValue('parley_media_packets_total', { direction: 'in' })).toBe(before.in + stats.packetsReceived!);
    expect(await metricValue('parley_media_packets_total', { direction: 'out' })).toBe(before.out + stats.packetsSent!);
    expect(await metricValue('parley_media_packets_dropped_total', { reason: 'wrong_payload_type' })).toBe(before.wrongPt + 1);
    expect(stats.jitter!.lost).toBeGreaterThanOrEqual(1);
    expect(await metricValue('parley_jitter_buffer_events_total', { event: 'lost' })).toBe(before.lost + stats.jitter!.lost);
  });
});

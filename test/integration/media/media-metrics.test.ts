// /metrics reads the native media counters live: while a call runs over real UDP, its packets,
// losses and drops show at the next scrape (not only once it ends), they stay counted after it
// ends, and engine-level drops that no session owns (caller frames lost to a full audio array)
// are exported too, as are the tick's duration and lateness.
import { afterEach, describe, expect, it } from 'vitest';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import { registry } from '../../../engine/metrics.js';
import { RtpPeer } from '../../support/rtp-peer.js';

// The value of a counter or gauge (or a histogram's _count) at a scrape.
async function scraped(name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name.replace(/_(count|sum)$/, ''));
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  const match = values.find(
    (value) => (/_(count|sum)$/.test(name) ? (value as { metricName?: string }).metricName === name : true) && Object.entries(labels).every(([key, label]) => value.labels[key] === label),
  );
  return match?.value ?? 0;
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const SILENCE = new Uint8Array(160).fill(0xff);

describe('live media metrics over real UDP', () => {
  const engines: MediaEngine[] = [];
  const peers: RtpPeer[] = [];
  afterEach(() => {
    for (const engine of engines.splice(0)) engine.stop();
    for (const peer of peers.splice(0)) peer.close();
  });

  it('counts packets, losses and drops of a call while it runs, and keeps them after it ends', async () => {
    const engine = new MediaEngine();
    engines.push(engine);
    const caller = await RtpPeer.open();
    peers.push(caller);
    const { session, localPort } = engine.createRtpSession('metrics-live', { codec: 'PCMU', bargeIn: false, botRateHz: 8000 });
    const before = {
      packetsIn: await scraped('parley_media_packets_total', { direction: 'in' }),
      lost: await scraped('parley_jitter_buffer_events_total', { event: 'lost' }),
      malformed: await scraped('parley_media_packets_dropped_total', { reason: 'malformed' }),
      foreignSsrc: await scraped('parley_media_packets_dropped_total', { reason: 'foreign_ssrc' }),
      datagrams: await scraped('parley_media_datagrams_received_total'),
      ticks: await scraped('parley_media_tick_duration_seconds_count'),
      lateTicks: await scraped('parley_media_tick_lateness_seconds_count'),
      latencyTicks: await scraped('parley_media_engine_latency_seconds_count'),
      latencySum: await scraped('parley_media_engine_latency_seconds_sum'),
      durationSum: await scraped('parley_media_tick_duration_seconds_sum'),
      latenessSum: await scraped('parley_media_tick_lateness_seconds_sum'),
    };

    // 60 packets of 20 ms, paced like a caller, with every 4th sequence number never sent (lost),
    // a few datagrams that are not RTP, and another SSRC talking over the latched one.
    for (let seq = 1; seq <= 60; seq++) {
      if (seq % 4 !== 0) caller.send({ payloadType: 0, ssrc: 0x1111, sequenceNumber: seq, timestamp: seq * 160 }, SILENCE, localPort!);
      if (seq % 10 === 0) {
        caller.sendRaw(new Uint8Array([0x80, 0x00, 0x01]), localPort!);
        caller.send({ payloadType: 0, ssrc: 0x2222, sequenceNumber: 900 + seq, timestamp: 80_000 + seq * 160 }, SILENCE, localPort!);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await until(async () => (await scraped('parley_jitter_buffer_events_total', { event: 'lost' })) - before.lost >= 10, 'losses to show while the call runs');
    expect(session.isClosed).toBe(false);
    const live = {
      packetsIn: (await scraped('parley_media_packets_total', { direction: 'in' })) - before.packetsIn,
      lost: (await scraped('parley_jitter_buffer_events_total', { event: 'lost' })) - before.lost,
      malformed: (await scraped('parley_media_packets_dropped_total', { reason: 'malformed' })) - before.malformed,
      foreignSsrc: (await scraped('parley_media_packets_dropped_total', { reason: 'foreign_ssrc' })) - before.foreignSsrc,
      datagrams: (await scraped('parley_media_datagrams_received_total')) - before.datagrams,
    };
    expect(live.packetsIn).toBe(45);
    expect(live.malformed).toBe(6);
    expect(live.foreignSsrc).toBe(6);
    expect(live.datagrams).toBe(57);
    // 15 sequence numbers were never sent (the buffer goes on counting frames missing after the
    // caller's last packet, so there is no upper bound here).
    expect(live.lost).toBeGreaterThanOrEqual(10);
    expect(await scraped('parley_media_sessions_live')).toBeGreaterThanOrEqual(1);
    expect(await scraped('parley_jitter_buffer_live_delay_ms', { stat: 'max' })).toBeGreaterThan(0);
    expect((await scraped('parley_media_tick_duration_seconds_count')) - before.ticks).toBeGreaterThan(0);
    expect((await scraped('parley_media_tick_lateness_seconds_count')) - before.lateTicks).toBeGreaterThan(0);

    // Ended: the call's counts stay (counters never go down when a session goes).
    const lostAtEnd = (await scraped('parley_jitter_buffer_events_total', { event: 'lost' })) - before.lost;
    session.close('test_over');
    // Engine latency (frame due -> handed to the bot) is one observation per tick: its lateness
    // plus its duration (read with the engine's timer stopped: its last session closed).
    const ticks = (await scraped('parley_media_tick_duration_seconds_count')) - before.ticks;
    expect((await scraped('parley_media_engine_latency_seconds_count')) - before.latencyTicks).toBe(ticks);
    const latencySum = (await scraped('parley_media_engine_latency_seconds_sum')) - before.latencySum;
    const parts = (await scraped('parley_media_tick_duration_seconds_sum')) - before.durationSum + (await scraped('parley_media_tick_lateness_seconds_sum')) - before.latenessSum;
    expect(latencySum).toBeCloseTo(parts, 6);
    expect((await scraped('parley_media_packets_total', { direction: 'in' })) - before.packetsIn).toBe(45);
    expect((await scraped('parley_jitter_buffer_events_total', { event: 'lost' })) - before.lost).toBeGreaterThanOrEqual(lostAtEnd);
    expect((await scraped('parley_media_packets_dropped_total', { reason: 'malformed' })) - before.malformed).toBe(6);
  });

  it('counts caller frames the engine dropped because the JS audio array was full', async () => {
    // Room for less than one 20 ms frame at 8 kHz: every frame overflows.
    const engine = new MediaEngine({ audioCapacitySamples: 100 });
    engines.push(engine);
    const caller = await RtpPeer.open();
    peers.push(caller);
    const { localPort } = engine.createRtpSession('metrics-overflow', { codec: 'PCMU', bargeIn: false, botRateHz: 8000 });
    const before = await scraped('parley_media_engine_dropped_total', { what: 'caller_frames_audio_full' });
    for (let seq = 1; seq <= 10; seq++) {
      caller.send({ payloadType: 0, ssrc: 0x3333, sequenceNumber: seq, timestamp: seq * 160 }, SILENCE, localPort!);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await until(async () => (await scraped('parley_media_engine_dropped_total', { what: 'caller_frames_audio_full' })) - before >= 3, 'audio-array overflows to show');
  });
});

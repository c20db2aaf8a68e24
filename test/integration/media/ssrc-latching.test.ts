import alawmulaw from 'alawmulaw';
import { afterEach, describe, expect, it } from 'vitest';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import type { MediaSession } from '../../../engine/media/media-session.js';
import type { NativeSessionStats } from '../../../engine/media/media-engine-binding.js';
import { RtpPeer } from '../../support/rtp-peer.js';
import { rmsDbfs } from '../../support/signal-metrics.js';

// Resolves at the first 20 ms tick (signalled by the session's audio) where `done` holds.
function until(session: MediaSession, done: (stats: NativeSessionStats) => boolean): Promise<NativeSessionStats> {
  return new Promise((resolve) => {
    const check = (): void => {
      const stats = session.stats();
      if (!done(stats)) return;
      session.off('audio', check);
      resolve(stats);
    };
    session.on('audio', check);
  });
}

describe('SSRC latching over real UDP', () => {
  let engine: MediaEngine | undefined;
  const peers: RtpPeer[] = [];
  afterEach(() => {
    engine?.stop();
    for (const peer of peers.splice(0)) peer.close();
  });

  it('latches the first valid source and counts, without playing, packets from another address or SSRC', async () => {
    engine = new MediaEngine();
    const caller = await RtpPeer.open();
    const intruder = await RtpPeer.open();
    peers.push(caller, intruder);
    const { session, localPort } = engine.createRtpSession('latch', { codec: 'PCMU', bargeIn: false, botRateHz: 8000 });
    const heard: Int16Array[] = [];
    session.on('audio', (pcm) => heard.push(pcm.slice()));
    // The caller sends silence (µ-law 0xff); the intruders send full-scale noise, which would show.
    const silence = new Uint8Array(160).fill(0xff);
    const loud = alawmulaw.mulaw.encode(Int16Array.from({ length: 160 }, (_, i) => (i % 2 === 0 ? 30000 : -30000)));

    caller.send({ payloadType: 0, ssrc: 0x1111, sequenceNumber: 1, timestamp: 160 }, silence, localPort!);
    await until(session, (s) => (s.packetsReceived ?? 0) >= 1);
    for (let i = 2; i <= 30; i++) {
      caller.send({ payloadType: 0, ssrc: 0x1111, sequenceNumber: i, timestamp: i * 160 }, silence, localPort!);
      intruder.send({ payloadType: 0, ssrc: 0x1111, sequenceNumber: i, timestamp: i * 160 }, loud, localPort!);
      caller.send({ payloadType: 0, ssrc: 0x2222, sequenceNumber: 500 + i, timestamp: 90_000 + i * 160 }, loud, localPort!);
    }
    const stats = await until(session, (s) => (s.packetsReceived ?? 0) + (s.foreignSource ?? 0) + (s.foreignSsrc ?? 0) >= 30 + 29 * 2);
    expect(stats.packetsReceived).toBe(30);
    expect(stats.foreignSource).toBe(29);
    expect(stats.foreignSsrc).toBe(29);
    expect(stats.ssrcChanges).toBe(0);
    await until(session, (s) => (s.frames ?? 0) >= 40);
    const everything = Int16Array.from(heard.flatMap((frame) => [...frame]));
    expect(rmsDbfs(everything)).toBeLessThan(-60);
  });
});

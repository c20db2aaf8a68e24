import alawmulaw from 'alawmulaw';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import type { MediaSession } from '../../../engine/media/media-session.js';
import type { NativeSessionStats } from '../../../engine/media/media-engine-binding.js';
import { registry } from '../../../engine/metrics.js';
import { SrtpSession } from '../../../engine/native/srtp.js';
import { serializeRtpPacket } from '../../../engine/native/rtp-packet.js';
import { RtpPeer } from '../../support/rtp-peer.js';
import { rmsDbfs } from '../../support/signal-metrics.js';

// Resolves once `done` holds for the session's stats (polled: an unlatched session raises no
// per-tick events to wait on).
async function until(session: MediaSession, done: (stats: NativeSessionStats) => boolean): Promise<NativeSessionStats> {
  return vi.waitFor(
    () => {
      const stats = session.stats();
      if (!done(stats)) throw new Error(`not yet: ${JSON.stringify(stats)}`);
      return stats;
    },
    { timeout: 10_000, interval: 5 },
  );
}

async function refusedMetric(reason: string): Promise<number> {
  const metric = await registry.getSingleMetric('parley_refused_total')!.get();
  return metric.values.find((v) => v.labels.surface === 'media' && v.labels.reason === reason)?.value ?? 0;
}

async function untilMetric(reason: string, count: number): Promise<number> {
  return vi.waitFor(
    async () => {
      const value = await refusedMetric(reason);
      if (value < count) throw new Error(`parley_refused_total{reason="${reason}"} is ${value}`);
      return value;
    },
    { timeout: 10_000, interval: 20 },
  );
}

const silence = new Uint8Array(160).fill(0xff);
const loud = alawmulaw.mulaw.encode(Int16Array.from({ length: 160 }, (_, i) => (i % 2 === 0 ? 30000 : -30000)));
const header = (ssrc: number, i: number) => ({ payloadType: 0, ssrc, sequenceNumber: 1000 + i, timestamp: 8000 + i * 160 });

// Sends prepared datagrams one per 20 ms (the traffic's shape, as RtpPeer.stream does for RTP).
async function paced(peer: RtpPeer, datagrams: Uint8Array[], port: number): Promise<void> {
  for (const datagram of datagrams) {
    peer.sendRaw(datagram, port);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
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

  // rtpengine's heuristic learning: the SDP/ARI address wins; nobody else is taken before it.
  it('does not latch an attacker packet sent before the caller\'s first when an address was signalled', async () => {
    engine = new MediaEngine();
    const caller = await RtpPeer.open();
    const attacker = await RtpPeer.open();
    peers.push(caller, attacker);
    const { session, localPort } = engine.createRtpSession('signalled', {
      codec: 'PCMU',
      bargeIn: false,
      botRateHz: 8000,
      remoteHost: '127.0.0.1',
      remotePort: caller.port,
    });
    const heard: Int16Array[] = [];
    session.on('audio', (pcm) => heard.push(pcm.slice()));
    attacker.send(header(0x6666, 0), loud, localPort!);
    await until(session, (s) => (s.unsignalledSource ?? 0) >= 1);
    await caller.stream(Array.from({ length: 25 }, () => silence), localPort!, { payloadType: 0, ssrc: 0x1111, samplesPerFrame: 160 });
    const stats = await until(session, (s) => (s.packetsReceived ?? 0) >= 25);
    expect(stats.unsignalledSource).toBe(1);
    expect(stats.relatches).toBe(0);
    await until(session, (s) => s.frames >= 40);
    expect(rmsDbfs(Int16Array.from(heard.flatMap((frame) => [...frame])))).toBeLessThan(-60);
    // The bot talks to the signalled address only.
    await caller.waitFor(1);
    expect(attacker.received).toHaveLength(0);
    expect(await untilMetric('unsignalled_source', 1)).toBeGreaterThanOrEqual(1);
  });

  // RFC 3264 section 8.3.1: a re-INVITE moved the peer. Its old address's packets still in flight
  // (or an attacker spoofing it) must not win the latch back, even after the learning window.
  it('after a redirect, latches the new signalled address and never the old one again', async () => {
    engine = new MediaEngine();
    const old = await RtpPeer.open();
    const moved = await RtpPeer.open();
    peers.push(old, moved);
    const { session, localPort } = engine.createRtpSession('redirect', {
      codec: 'PCMU',
      bargeIn: false,
      botRateHz: 8000,
      remoteHost: '127.0.0.1',
      remotePort: old.port,
      sourceLearningMs: 0,
    });
    for (let i = 0; i < 5; i++) old.send(header(0x1111, i), silence, localPort!);
    await until(session, (s) => (s.packetsReceived ?? 0) >= 5);
    session.redirect('127.0.0.1', moved.port);
    const heard: Int16Array[] = [];
    session.on('audio', (pcm) => heard.push(pcm.slice()));
    for (let i = 5; i < 25; i++) old.send(header(0x1111, i), loud, localPort!);
    const refused = await until(session, (s) => (s.packetsReceived ?? 0) + (s.foreignSource ?? 0) + (s.sourceCandidate ?? 0) >= 25);
    expect(refused.packetsReceived).toBe(5);
    expect(refused.sourceCandidate ?? 0).toBe(0);
    for (let i = 0; i < 10; i++) moved.send(header(0x2222, 100 + i), silence, localPort!);
    const stats = await until(session, (s) => (s.packetsReceived ?? 0) >= 15);
    expect(stats.foreignSource).toBe(20);
    // The bot's audio goes to the new address, and nothing loud was played.
    await moved.waitFor(1);
    await vi.waitFor(() => {
      if (heard.length < 20) throw new Error(`${heard.length} frames heard`);
    }, { timeout: 10_000 });
    expect(rmsDbfs(Int16Array.from(heard.flatMap((frame) => [...frame])))).toBeLessThan(-60);
  });

  it('strict source: takes nothing before the signalled address is known, then only that address', async () => {
    engine = new MediaEngine();
    const asterisk = await RtpPeer.open();
    const attacker = await RtpPeer.open();
    peers.push(asterisk, attacker);
    const { session, localPort } = engine.createRtpSession('strict', { codec: 'PCMU', bargeIn: false, botRateHz: 8000, strictSource: true, learnRemote: false });
    for (let i = 0; i < 5; i++) attacker.send(header(0x6666, i), loud, localPort!);
    await until(session, (s) => (s.unsignalledSource ?? 0) >= 5);
    session.setRemote('127.0.0.1', asterisk.port);
    for (let i = 0; i < 10; i++) {
      asterisk.send(header(0x1111, i), silence, localPort!);
      attacker.send(header(0x1111, i), loud, localPort!);
    }
    const stats = await until(session, (s) => (s.packetsReceived ?? 0) + (s.foreignSource ?? 0) >= 20);
    expect(stats.packetsReceived).toBe(10);
    expect(stats.foreignSource).toBe(10);
    expect(stats.relatches).toBe(0);
  });

  it('with no signalled address, a sustained stream takes over from a stray first packet within the learning window, and not after it', async () => {
    engine = new MediaEngine();
    const caller = await RtpPeer.open();
    const attacker = await RtpPeer.open();
    peers.push(caller, attacker);
    const { session, localPort } = engine.createRtpSession('learning', { codec: 'PCMU', bargeIn: false, botRateHz: 8000, sourceLearningMs: 300 });
    attacker.send(header(0x6666, 0), loud, localPort!);
    await until(session, (s) => (s.packetsReceived ?? 0) >= 1);
    await caller.stream(Array.from({ length: 30 }, () => silence), localPort!, { payloadType: 0, ssrc: 0x1111, samplesPerFrame: 160 });
    const stats = await until(session, (s) => (s.packetsReceived ?? 0) + (s.sourceCandidate ?? 0) + (s.foreignSource ?? 0) >= 31);
    expect(stats.relatches).toBe(1);
    // The bot's audio followed the caller (symmetric RTP, RFC 4961).
    const before = caller.received.length;
    await caller.waitFor(before + 5);
    // After the window, the caller goes quiet and another stream (another SSRC) is refused.
    const late = await RtpPeer.open();
    peers.push(late);
    await late.stream(Array.from({ length: 40 }, () => loud), localPort!, { payloadType: 0, ssrc: 0x7777, samplesPerFrame: 160 });
    const after = await until(session, (s) => (s.foreignSource ?? 0) >= (stats.foreignSource ?? 0) + 40);
    expect(after.relatches).toBe(1);
    expect(after.packetsReceived).toBe(stats.packetsReceived);
  });

  it('re-latches after NAT rebinding: same SSRC from a new address once the old one went silent, never while it is live', async () => {
    engine = new MediaEngine();
    const before = await RtpPeer.open();
    const rebound = await RtpPeer.open();
    peers.push(before, rebound);
    const { session, localPort } = engine.createRtpSession('nat', {
      codec: 'PCMU',
      bargeIn: false,
      botRateHz: 8000,
      sourceLearningMs: 0,
      relatchSilenceMs: 100,
      relatchPackets: 5,
    });
    const options = { payloadType: 0, ssrc: 0x1111, samplesPerFrame: 160 };
    // Both live at once: the new address is refused every time.
    await Promise.all([
      before.stream(Array.from({ length: 20 }, () => silence), localPort!, { ...options, firstSeq: 0 }),
      rebound.stream(Array.from({ length: 20 }, () => loud), localPort!, { ...options, firstSeq: 5000 }),
    ]);
    const live = await until(session, (s) => (s.packetsReceived ?? 0) + (s.foreignSource ?? 0) >= 40);
    expect(live.packetsReceived).toBe(20);
    expect(live.foreignSource).toBe(20);
    expect(live.relatches).toBe(0);
    // The old mapping is gone: after 100 ms of its silence, 5 packets move the latch.
    await rebound.stream(Array.from({ length: 30 }, () => silence), localPort!, { ...options, firstSeq: 20, firstTimestamp: 50_000 + 20 * 160 });
    const moved = await until(session, (s) => (s.relatches ?? 0) >= 1 && (s.packetsReceived ?? 0) >= 40);
    expect(moved.relatches).toBe(1);
    expect(moved.sourceCandidate).toBe(4);
    const sentToRebound = rebound.received.length;
    await rebound.waitFor(sentToRebound + 5);
  });

  it('with SRTP, only packets that authenticate move the latch', async () => {
    engine = new MediaEngine();
    const key = Uint8Array.from({ length: 30 }, (_, i) => i + 1);
    const before = await RtpPeer.open();
    const rebound = await RtpPeer.open();
    peers.push(before, rebound);
    const { session, localPort } = engine.createRtpSession('nat-srtp', {
      codec: 'PCMU',
      bargeIn: false,
      botRateHz: 8000,
      sourceLearningMs: 0,
      relatchSilenceMs: 100,
      relatchPackets: 3,
      srtp: { profile: 'AES_CM_128_HMAC_SHA1_80', localKey: key, remoteKey: key },
    });
    const sender = new SrtpSession('AES_CM_128_HMAC_SHA1_80', key.subarray(0, 16), key.subarray(16));
    const forger = new SrtpSession('AES_CM_128_HMAC_SHA1_80', new Uint8Array(16).fill(9), key.subarray(16));
    const packet = (session: SrtpSession, i: number) => {
      const plain = serializeRtpPacket({ marker: false, payloadType: 0, sequenceNumber: i, timestamp: i * 160, ssrc: 0x1111, csrcs: [] }, silence);
      return session.protectRtp(plain);
    };
    await paced(before, Array.from({ length: 5 }, (_, i) => packet(sender, i)), localPort!);
    await until(session, (s) => (s.packetsReceived ?? 0) >= 5);
    // Once the latched source went quiet, forged packets from a new address still never move it.
    await paced(rebound, Array.from({ length: 20 }, (_, i) => packet(forger, 5 + i)), localPort!);
    const forged = await until(session, (s) => (s.srtpFailed ?? 0) + (s.foreignSource ?? 0) >= 20);
    expect(forged.srtpFailed).toBeGreaterThanOrEqual(10);
    expect(forged.relatches).toBe(0);
    await paced(rebound, Array.from({ length: 6 }, (_, i) => packet(sender, 25 + i)), localPort!);
    const moved = await until(session, (s) => (s.relatches ?? 0) >= 1 && (s.packetsReceived ?? 0) >= 5 + 4);
    expect(moved.relatches).toBe(1);
  });
});

// The call quality score against impairments of known size: a caller over real UDP sends ten
// seconds of G.711 clean, with 5 % of its packets dropped, and with up to 60 ms of random delay
// per packet (uniform, so reordering too). Parley's own measurement (RFC 3550 A.3 loss, A.8
// jitter, what its jitter buffer could not play) gives each an E-model MOS in the band G.107
// predicts; the end-of-call line, /metrics and the admin list carry it.
import alawmulaw from 'alawmulaw';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Call } from '../../../engine/call/call.js';
import { CallRegistry } from '../../../engine/call/call-registry.js';
import { InlineLeg } from '../../../engine/call/media-leg.js';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import type { MediaSession } from '../../../engine/media/media-session.js';
import { registry } from '../../../engine/metrics.js';
import type { CallQuality } from '../../../engine/quality/call-quality.js';
import { frames } from '../../support/frames.js';
import { RtpPeer } from '../../support/rtp-peer.js';
import { sine } from '../../support/test-signals.js';

const PACKETS = 500; // 10 s of 20 ms packets
const WAIT_MS = 15_000;

// A fixed-seed generator: the impairment is the same on every run.
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

interface Impairment {
  name: string;
  drop: (i: number) => boolean;
  delayMs: (i: number) => number;
}

const jitterDraw = random(7);
const jitterDelays = Array.from({ length: PACKETS }, () => jitterDraw() * 60);
const impairments: Impairment[] = [
  { name: 'clean', drop: () => false, delayMs: () => 0 },
  // Every 20th packet: exactly 5 %, never two in a row (random loss, G.107's BurstR = 1).
  { name: 'loss5', drop: (i) => i % 20 === 7, delayMs: () => 0 },
  { name: 'jitter60', drop: () => false, delayMs: (i) => jitterDelays[i]! },
];

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${WAIT_MS} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20)); // polling a counter nothing announces
  }
}

describe('call quality score under known impairments (E-model, G.107)', () => {
  let engine: MediaEngine | undefined;
  const peers: RtpPeer[] = [];
  afterEach(() => {
    engine?.stop();
    for (const peer of peers.splice(0)) peer.close();
  });

  it('scores a clean call near G.711\'s maximum, 5 % loss and 60 ms jitter in their bands, and reports it at the end of the call', { timeout: 60_000 }, async () => {
    engine = new MediaEngine();
    const payloads = frames(sine(8000 * 10, 8000, 400, 8000), 160).map((frame) => alawmulaw.mulaw.encode(frame));
    const legs = await Promise.all(
      impairments.map(async (impairment, n) => {
        const peer = await RtpPeer.open();
        peers.push(peer);
        const { session, localPort } = engine!.createRtpSession(`quality-${impairment.name}`, { codec: 'PCMU', bargeIn: false, remoteHost: '127.0.0.1', remotePort: peer.port });
        return { impairment, peer, session, port: localPort!, ssrc: 0x5000 + n, sent: 0 };
      }),
    );
    // One pacing loop for the three callers: packet i is due at i * 20 ms plus its delay.
    const schedule = legs.flatMap((leg) =>
      Array.from({ length: PACKETS }, (_, i) => ({ leg, i, dueMs: i * 20 + leg.impairment.delayMs(i) })).filter(({ i }) => !leg.impairment.drop(i)),
    ).sort((a, b) => a.dueMs - b.dueMs);
    const start = performance.now();
    for (const { leg, i, dueMs } of schedule) {
      const wait = start + dueMs - performance.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait)); // the traffic's shape, not a synchronisation
      leg.peer.send({ payloadType: 0, ssrc: leg.ssrc, sequenceNumber: (1000 + i) & 0xffff, timestamp: 90_000 + i * 160, marker: i === 0 }, payloads[i]!, leg.port);
      leg.sent++;
    }
    for (const leg of legs) await until(() => (leg.session.stats().packetsReceived ?? 0) === leg.sent, `${leg.impairment.name}: every packet received`);

    const scores = new Map<string, CallQuality>();
    const lines: Array<{ msg: string; quality?: CallQuality }> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const calls = new CallRegistry();
    const mosBefore = await histogramCount('parley_call_mos');
    for (const leg of legs) {
      const call = new Call({ callId: leg.session.callId, source: 'sip' }, new InlineLeg(leg.session as MediaSession, () => ({ stop: () => undefined })), logger);
      calls.add(call);
      scores.set(leg.impairment.name, calls.list().find((summary) => summary.callId === leg.session.callId)!.quality!);
    }
    // Live: each call in its G.107 satisfaction band.
    const bands = Object.fromEntries((await registry.getSingleMetric('parley_calls_by_quality')!.get()).values.map((v) => [v.labels.band, v.value]));
    for (const [name, quality] of scores) console.info(`${name}: ${JSON.stringify(quality)}`);
    const clean = scores.get('clean')!;
    const loss = scores.get('loss5')!;
    const jitter = scores.get('jitter60')!;
    const lossStats = legs[1]!.session.stats();
    const jitterStats = legs[2]!.session.stats();

    // Clean: no loss, MOS within 0.1 of G.711's 4.41 (only buffering and packetization delay).
    expect(clean.inbound.lossPercent).toBeLessThanOrEqual(1);
    expect(clean.mos).toBeGreaterThan(4.3);
    expect(clean.mos).toBeLessThanOrEqual(4.41);
    // 5 % loss: measured as 5 % (RFC 3550 A.3: 25 of 500 expected), R about 93.2 - 15.8 = 77.
    expect(lossStats.rtcp!.local.lost).toBe(25);
    expect(loss.inbound.lossPercent).toBeGreaterThanOrEqual(5);
    expect(loss.inbound.lossPercent).toBeLessThan(6.5);
    expect(loss.mos).toBeGreaterThan(3.65);
    expect(loss.mos).toBeLessThan(4.0);
    // 60 ms of uniform delay: A.8's estimate near E|U1 - U2| = 20 ms, and a lower score than clean
    // (a deeper buffer, and whatever came too late for it), above the 5 % loss band's floor.
    expect(jitter.inbound.jitterMs).toBeGreaterThan(12);
    expect(jitter.inbound.jitterMs).toBeLessThan(28);
    expect(jitterStats.rtcp!.local.lost).toBe(0);
    expect(jitter.mos).toBeLessThan(clean.mos);
    expect(jitter.mos).toBeGreaterThan(3.6);
    expect(bands.good).toBeGreaterThanOrEqual(1);
    expect(bands.fair).toBeGreaterThanOrEqual(1);

    // The end-of-call line and the ended-call histogram.
    calls.endAll('test_done');
    // The line is written once the leg's final counts are in (a promise, even for an inline leg).
    await until(() => lines.filter((line) => line.msg === 'call ended').length >= 3, 'the end-of-call lines');
    const ended = lines.filter((line) => line.msg === 'call ended');
    expect(ended).toHaveLength(3);
    for (const line of ended) expect(line.quality).toMatchObject({ rFactor: expect.any(Number), mos: expect.any(Number), inbound: expect.any(Object) });
    expect(await histogramCount('parley_call_mos')).toBe(mosBefore + 3);
  });
});

async function histogramCount(name: string): Promise<number> {
  const metric = await registry.getSingleMetric(name)!.get();
  return metric.values.find((v) => (v as { metricName?: string }).metricName === `${name}_count`)?.value ?? 0;
}

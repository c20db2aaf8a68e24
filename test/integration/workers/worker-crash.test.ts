// Crash isolation of media workers with real SIP calls over real UDP: four calls on two worker
// processes (placed by load, two each), each call's bot a real WebSocket echo bot. One worker is
// SIGKILLed mid-call: its two calls get a BYE whose Reason says media_worker_failed, the failure
// is logged once and counted, the worker is started again and takes a new call; the other
// worker's two calls keep carrying their own tone back, undisturbed.
import alawmulaw from 'alawmulaw';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { MEDIA_WORKER_ENTRY } from '../../../api/node.js';
import { botConfigSchema } from '../../../engine/bot/bot-config.js';
import { CallService } from '../../../engine/call/call-service.js';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import { registry } from '../../../engine/metrics.js';
import { nodeMetricsText } from '../../../engine/workers/worker-metrics.js';
import { WorkerPool } from '../../../engine/workers/worker-pool.js';
import { SipEndpoint } from '../../../gateway-adapters/sip/sip-endpoint.js';
import { BotServer } from '../../support/bot-server.js';
import { freeUdpPort } from '../../support/free-port.js';
import { RtpPeer } from '../../support/rtp-peer.js';
import { bestAlignment, rmsDbfs } from '../../support/signal-metrics.js';
import { SipTestClient, type Dialog } from '../../support/sip-client.js';
import { sine } from '../../support/test-signals.js';

const RATE_HZ = 8000;
const FRAME = 160;
// Ports per worker: worker 0 gets the lower half of the range, worker 1 the upper.
const PORTS_PER_WORKER = 40;
// Long enough to outlast the test; the streams are stopped at the end.
const CALL_SECONDS = 30;

interface TestCall {
  dialog: Dialog;
  peer: RtpPeer;
  localPort: number;
  frequencyHz: number;
  streaming: Promise<void>;
}

// The caller audio each packet carried back, decoded, from packet `from` on.
function decodedFrom(peer: RtpPeer, from: number): Int16Array {
  const payloads = peer.received.slice(from).filter((r) => r.packet.header.payloadType === 0).map((r) => alawmulaw.mulaw.decode(r.packet.payload));
  return Int16Array.from(payloads.flatMap((p) => [...p]));
}

// Resolves once `count` packets louder than -30 dBFS came back after packet `from` (the echo
// starts once the call's bot has connected, later on a loaded machine), with their audio.
async function loudEcho(peer: RtpPeer, from: number, count: number): Promise<Int16Array> {
  const loud = (): Int16Array[] =>
    peer.received
      .slice(from)
      .filter((r) => r.packet.header.payloadType === 0)
      .map((r) => Int16Array.from(alawmulaw.mulaw.decode(r.packet.payload)))
      .filter((frame) => rmsDbfs(frame) > -30);
  await expect.poll(() => loud().length, { timeout: 20_000, interval: 20 }).toBeGreaterThanOrEqual(count);
  const frames = loud().slice(0, count);
  return Int16Array.from(frames.flatMap((frame) => [...frame]));
}

// Every test tone is a multiple of 100 Hz, so it runs whole cycles in 10 ms: some lag within
// 10 ms meets the echo's phase exactly. Within one period it may not: 1,300 Hz has 6.15 samples a
// period, the nearest whole lag can be half a sample off, and a perfect echo then scored 0.87-0.92
// by its delay alone (seen failing a 0.9 bar on a loaded machine).
const TONE_MAX_LAG_SAMPLES = RATE_HZ / 100;

// How well `audio` matches a tone of `frequencyHz`: the median over 100 ms blocks of each block's
// best alignment (the jitter buffer may conceal or stretch a frame on a loaded machine, which
// moves the phase; a wrong or silent signal scores near 0 in every block).
function toneMatch(audio: Int16Array, frequencyHz: number): number {
  expect(frequencyHz % 100, 'test tones are multiples of 100 Hz (see TONE_MAX_LAG_SAMPLES)').toBe(0);
  const block = RATE_HZ / 10;
  const reference = sine(block, RATE_HZ, frequencyHz, 8000);
  const scores: number[] = [];
  for (let start = 0; start + block + TONE_MAX_LAG_SAMPLES <= audio.length; start += block) {
    scores.push(bestAlignment(reference, audio.subarray(start), 0, TONE_MAX_LAG_SAMPLES).correlation);
  }
  scores.sort((a, b) => a - b);
  return scores[Math.floor(scores.length / 2)] ?? 0;
}

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const values = (await registry.getSingleMetric(name)!.get()).values;
  return values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
}

describe('media workers: crash isolation', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('a SIGKILLed worker ends only its own calls (BYE with media_worker_failed), is counted and restarted; the other worker\'s calls keep their audio', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>), done()) }));
    const bots = await BotServer.start();
    cleanups.push(() => bots.close());
    const portMin = (await freeUdpPort()) & ~1;
    const pool = new WorkerPool({ count: 2, entry: MEDIA_WORKER_ENTRY, legKinds: {}, bot: botConfigSchema.parse({ url: bots.url }), logLevel: 'silent', portRange: { min: portMin, max: portMin + 2 * PORTS_PER_WORKER - 1 }, logger });
    await pool.start();
    cleanups.push(() => pool.stop());
    const engine = new MediaEngine({ logger });
    cleanups.push(() => engine.stop());
    const service = new CallService({ engine, startBot: () => ({ stop: () => undefined }), host: pool, maxCallMs: 120_000, logger });
    // Echo cancellation off: each call's bot sends the caller's own steady tone back, which is
    // exactly what an echo is; the canceller would take the tone for the bot's echo.
    const endpoint = await SipEndpoint.start({ port: 0 }, { calls: service, logger, media: { host: '127.0.0.1', session: { bargeIn: false, echoCancellation: false } } });
    cleanups.push(() => endpoint.close());
    const client = await SipTestClient.open(endpoint.local);
    cleanups.push(() => client.close());

    // Every bot echoes what it hears.
    let echoing = 0;
    const echoBots = async (count: number): Promise<void> => {
      for (; echoing < count; echoing++) {
        const bot = await bots.peer(echoing);
        bot.socket.on('message', (data: Buffer, isBinary: boolean) => isBinary && bot.socket.send(data));
      }
    };

    const placeCall = async (frequencyHz: number): Promise<TestCall> => {
      const peer = await RtpPeer.open();
      cleanups.push(() => peer.close());
      const { dialog, remotePort: localPort } = await client.call(peer.port);
      const tone = sine(RATE_HZ * CALL_SECONDS, RATE_HZ, frequencyHz, 8000);
      const payloads: Uint8Array[] = [];
      for (let i = 0; i + FRAME <= tone.length; i += FRAME) payloads.push(alawmulaw.mulaw.encode(tone.subarray(i, i + FRAME)));
      const streaming = peer.stream(payloads, localPort, { payloadType: 0, ssrc: 0x1000 + frequencyHz, samplesPerFrame: FRAME });
      return { dialog, peer, localPort, frequencyHz, streaming };
    };

    const calls: TestCall[] = [];
    for (const frequencyHz of [400, 700, 1000, 1300]) calls.push(await placeCall(frequencyHz));
    await echoBots(4);
    const workerOf = (call: TestCall): number => (call.localPort < portMin + PORTS_PER_WORKER ? 0 : 1);
    // Placed by load: two calls on each worker.
    expect(calls.map(workerOf).sort()).toEqual([0, 0, 1, 1]);
    // Every call carries its own tone back before the kill (1 s of echo).
    const before = await Promise.all(calls.map((call) => loudEcho(call.peer, 0, 50)));
    for (const [i, call] of calls.entries()) expect(toneMatch(before[i]!, call.frequencyHz)).toBeGreaterThan(0.9);

    // Live metrics from the workers' reports: calls per worker, CPU, each worker's tick
    // histogram under its own label, and the media counters summed over the node.
    const seriesValue = (text: string, series: string): number => Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    await expect.poll(async () => seriesValue(await nodeMetricsText(), 'parley_media_worker_calls{worker="1"}'), { timeout: 5000 }).toBe(2);
    const text = await nodeMetricsText();
    expect(seriesValue(text, 'parley_media_worker_calls{worker="0"}')).toBe(2);
    expect(seriesValue(text, 'parley_media_worker_cpu_seconds_total{worker="0"}')).toBeGreaterThan(0);
    // Each worker's own resident memory (a Node process holds tens of MB), within the node's total.
    const residentBytes = [0, 1].map((worker) => seriesValue(text, `parley_media_worker_resident_memory_bytes{worker="${worker}"}`));
    for (const bytes of residentBytes) expect(bytes).toBeGreaterThan(20 * 1024 * 1024);
    expect(residentBytes[0]! + residentBytes[1]!).toBeLessThan(seriesValue(text, 'parley_process_process_resident_memory_bytes'));
    // Reports come once a second: a second's ticks (50) show up within a few.
    await expect.poll(async () => seriesValue(await nodeMetricsText(), 'parley_media_tick_duration_seconds_count{worker="0"}'), { timeout: 5000 }).toBeGreaterThan(50);
    await expect.poll(async () => seriesValue(await nodeMetricsText(), 'parley_media_tick_lateness_seconds_count{worker="1"}'), { timeout: 5000 }).toBeGreaterThan(50);
    await expect.poll(async () => seriesValue(await nodeMetricsText(), 'parley_media_packets_total{direction="in"}'), { timeout: 5000 }).toBeGreaterThan(4 * 50);

    const killed = calls.filter((call) => workerOf(call) === 0);
    const survivors = calls.filter((call) => workerOf(call) === 1);
    const failuresBefore = await metric('parley_media_worker_failures_total', { worker: '0' });
    const oldPid = pool.pidOf(0)!;
    const receivedAtKill = survivors.map((call) => call.peer.received.length);
    const killedAtMs = performance.now();
    process.kill(oldPid, 'SIGKILL');

    // The killed worker's calls: a BYE each, naming the reason (RFC 3326 Reason header).
    const byes = await Promise.all(killed.map((call) => client.waitForRequest(call.dialog.callId, 'BYE')));
    const byesAfterMs = performance.now() - killedAtMs;
    for (const bye of byes) expect(bye.headers.get('reason')).toBe('Q.850;cause=41;text="media_worker_failed"');
    for (const bye of byes) client.answer(bye);
    // The survivors: 2 s more of their own tone, loud, after the kill.
    await Promise.all(survivors.map((call, i) => call.peer.waitFor(receivedAtKill[i]! + 100)));
    for (const [i, call] of survivors.entries()) {
      const after = decodedFrom(call.peer, receivedAtKill[i]!);
      expect(rmsDbfs(after)).toBeGreaterThan(-20);
      expect(toneMatch(after, call.frequencyHz)).toBeGreaterThan(0.9);
    }
    expect(service.size).toBe(2);
    // The bot connections lived in the killed worker: the kernel closed them (1006, no `stop`:
    // nothing was left to send one); the survivors' bots are still connected.
    await expect.poll(() => bots.peers.filter((bot) => bot.closeCode !== undefined).length, { timeout: 10_000 }).toBe(2);
    for (const bot of bots.peers.filter((peer) => peer.closeCode !== undefined)) {
      expect(bot.closeCode).toBe(1006);
      expect(bot.named('stop')).toHaveLength(0);
    }
    expect(await metric('parley_media_worker_failures_total', { worker: '0' })).toBe(failuresBefore + 1);
    expect(lines.filter((line) => line.msg === 'media worker died: ending its calls (media_worker_failed) and starting it again')).toHaveLength(1);
    const ended = lines.filter((line) => line.msg === 'call ended' && line.reason === 'media_worker_failed');
    expect(ended).toHaveLength(2);

    // Started again: a new call goes to it (the least loaded) and carries audio.
    await expect.poll(() => pool.liveWorkers, { timeout: 30_000 }).toBe(2);
    expect(pool.pidOf(0)).not.toBe(oldPid);
    console.info(`worker SIGKILL: BYEs for its 2 calls ${Math.round(byesAfterMs)} ms after the kill; worker up again ${Math.round(performance.now() - killedAtMs)} ms after it (1 s crash-loop pause included: it had run < 10 s)`);
    const fresh = await placeCall(1600);
    expect(workerOf(fresh)).toBe(0);
    await echoBots(5);
    expect(toneMatch(await loudEcho(fresh.peer, 0, 50), 1600)).toBeGreaterThan(0.9);
  }, 120_000);
});

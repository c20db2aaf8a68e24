// Bot connector cost per call at 16 kHz: 20 ms caller frames out to a local bot that echoes each
// one back, through the connector (Parley protocol, and Twilio with its µ-law transcoding), and
// the same frames through a bare `ws` client, side by side in one run. CPU is process time (user +
// system) over the whole loop, the echoing bot included on both sides, divided by frames: each
// frame crosses once in each direction.
import { once } from 'node:events';
import { pino } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import type { BenchResult } from '../bench-part.js';
import { botConfigSchema } from '../../engine/bot/bot-config.js';
import { botConnectorStarter } from '../../engine/bot/bot-connector.js';
import { NullMedia } from '../../test/support/null-media.js';

const RATE_HZ = 16000;
const FRAME_SAMPLES = 320;
const FRAMES = 3000; // 60 s of audio per measurement
const BATCH = 50; // frames in flight at once: 1 s, as a bot streaming in real time would see after a stall
const ROUNDS = 5;

async function echoServer(protocol: 'parley' | 'twilio'): Promise<{ url: string; close: () => void }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  server.on('connection', (socket) => {
    socket.on('message', (data: Buffer, isBinary) => {
      if (protocol === 'parley') {
        if (isBinary) socket.send(data);
        return;
      }
      const message = JSON.parse(data.toString()) as { event: string; streamSid: string; media?: { payload: string } };
      if (message.event === 'media') socket.send(JSON.stringify({ event: 'media', streamSid: message.streamSid, media: { payload: message.media!.payload } }));
    });
  });
  const { port } = server.address() as { port: number };
  return { url: `ws://127.0.0.1:${port}/bot`, close: () => server.close() };
}

function speechLikeFrame(): Int16Array {
  const frame = new Int16Array(FRAME_SAMPLES);
  for (let i = 0; i < frame.length; i++) frame[i] = Math.round(6000 * Math.sin((2 * Math.PI * 220 * i) / RATE_HZ) + 1500 * Math.sin((2 * Math.PI * 1330 * i) / RATE_HZ));
  return frame;
}

function cpuUs(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return used.user + used.system;
}

async function connectorRound(protocol: 'parley' | 'twilio', frame: Int16Array): Promise<number> {
  const bot = await echoServer(protocol);
  const media = new NullMedia('bench', RATE_HZ);
  const options = { ...botConfigSchema.parse({ protocol, maxBufferedMs: 10_000 }), url: bot.url };
  const connection = botConnectorStarter(options, pino({ level: 'silent' }))(media, { callId: 'bench', source: 'sip' });
  // Wait for the socket to open: one frame through and back.
  media.emit('audio', frame);
  await media.untilPlayed(1);
  const baseline = media.playedFrames;
  const start = process.cpuUsage();
  for (let sent = 0; sent < FRAMES; sent += BATCH) {
    for (let i = 0; i < BATCH; i++) media.emit('audio', frame);
    await media.untilPlayed(baseline + sent + BATCH);
  }
  const used = cpuUs(start);
  connection.stop('bench_over');
  bot.close();
  return used / FRAMES;
}

async function rawRound(frame: Int16Array): Promise<number> {
  const bot = await echoServer('parley');
  const socket = new WebSocket(bot.url);
  await once(socket, 'open');
  let received = 0;
  let waiter: { count: number; resolve: () => void } | undefined;
  socket.on('message', () => {
    received++;
    if (waiter && received >= waiter.count) waiter.resolve();
  });
  const until = (count: number): Promise<void> => (received >= count ? Promise.resolve() : new Promise((resolve) => (waiter = { count, resolve })));
  const start = process.cpuUsage();
  for (let sent = 0; sent < FRAMES; sent += BATCH) {
    // The frame as the connector sends it: a view (ws copies it as it masks).
    for (let i = 0; i < BATCH; i++) socket.send(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
    await until(sent + BATCH);
  }
  const used = cpuUs(start);
  socket.close();
  bot.close();
  return used / FRAMES;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export async function run(): Promise<BenchResult> {
  const frame = speechLikeFrame();
  const parley: number[] = [];
  const twilio: number[] = [];
  const raw: number[] = [];
  // Warm-up, then interleaved rounds so drift in machine load hits all three alike.
  await connectorRound('parley', frame);
  await connectorRound('twilio', frame);
  await rawRound(frame);
  for (let round = 0; round < ROUNDS; round++) {
    parley.push(await connectorRound('parley', frame));
    twilio.push(await connectorRound('twilio', frame));
    raw.push(await rawRound(frame));
  }
  const connector = median(parley);
  const rawWs = median(raw);
  return {
    connector_cpu_us_per_frame: Number(connector.toFixed(2)),
    raw_ws_cpu_us_per_frame: Number(rawWs.toFixed(2)),
    connector_over_raw_ws: Number((connector / rawWs).toFixed(3)),
    twilio_connector_cpu_us_per_frame: Number(median(twilio).toFixed(2)),
    twilio_connector_over_raw_ws: Number((median(twilio) / rawWs).toFixed(3)),
    bot_bench_setup: { rate_hz: RATE_HZ, frame_ms: 20, frames_per_round: FRAMES, frames_in_flight: BATCH, rounds: ROUNDS, statistic: 'median', includes_echo_bot_cpu: true },
  };
}

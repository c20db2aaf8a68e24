// The bot leg alone, for instruction counts under callgrind: `calls` bot connections (the node's
// own connector, in the protocol given) with no media session behind them, each call's 20 ms
// caller frame sent and its echo awaited for every call before the next frame, against the load
// bench's echo bot (echo-bot.ts) in a process of its own. The media engine is left out: it does the
// same work whichever protocol the bot speaks. With `valgrind` among the options, the echo bot
// runs under callgrind too, so both processes of the leg are counted. With `engine`, each call's
// media is a real session of a manual-clock media engine instead (a PCM leg at the bot's rate, no
// echo canceller, no barge-in): the worker's own way for a caller frame from the native tick to
// the connection, and for a bot frame into the playout queue, are counted too (subtract
// `MediaEngineBinding::Tick`, inclusive, for the bot leg alone).
//
//   valgrind --tool=callgrind --smc-check=all-non-file --separate-threads=yes \
//     --dump-before='*CPUUsage*' --callgrind-out-file=/tmp/leg-node.%p \
//     node --import tsx bench/load/bot-leg-callgrind.ts twilio 10 3000 [valgrind] [engine]
//
// Startup and the JIT's warm-up are counted too. The second half of the frames is marked by a
// process.cpuUsage() call before and after it: with `--dump-before='*CPUUsage*'` callgrind writes
// it as a part of its own, calls × (frames − ⌊frames / 2⌋) call-frames: the last numbered part
// (`.3-01` for the main thread alone), since prom-client's default metrics call
// process.cpuUsage() once as they load, which makes a dump of its own before the bench's first
// (docs/benchmarks.md, "Which part is the marked half"). Compare builds at the same frame count,
// side by side: the JIT moves the count by a few k instructions a call-frame from run to run. The
// process's CPU over the same half is printed as `cpuUsPerCallFrame` (run without valgrind,
// builds alternated).
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { z } from 'zod';
import { botConfigSchema, defaultBotRateHz } from '../../engine/bot/bot-config.js';
import { botConnectorStarter } from '../../engine/bot/bot-connector.js';
import { flushBotFrames } from '../../engine/bot/bot-frame-batch.js';
import { FRAME_MS } from '../../engine/media/frame.js';
import type { CallMedia } from '../../engine/call/call-media.js';
import { MediaEngine } from '../../engine/media/media-engine.js';
import type { BotRateHz } from '../../engine/media/media-session-options.js';
import { NullMedia } from '../../test/support/null-media.js';
import { frameStartUs } from './media-only-call.js';

const args = z
  .tuple([z.enum(['parley', 'twilio']), z.coerce.number().int().min(1), z.coerce.number().int().min(1)])
  .rest(z.enum(['valgrind', 'engine']))
  .parse(process.argv.slice(2));
const [protocol, calls, frames] = args;
const underValgrind = args.slice(3).includes('valgrind');
const withEngine = args.slice(3).includes('engine');
const here = fileURLToPath(new URL('.', import.meta.url));
// The rate a node runs this protocol's bot at (a Twilio bot: its own 8 kHz, no resampling).
const rateHz = defaultBotRateHz(protocol);

const bot = fork(join(here, 'echo-bot.ts'), [protocol], {
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  ...(underValgrind
    ? { execPath: 'valgrind', execArgv: ['--tool=callgrind', '--smc-check=all-non-file', '--callgrind-out-file=/tmp/leg-bot.%p', process.execPath, '--import', 'tsx'] }
    : { execArgv: ['--import', 'tsx'] }),
});
const [ready] = (await once(bot, 'message')) as [{ port: number }];

// A voiced, varying frame: base64 and µ-law do not care, the resampler runs on real signal.
const frameSamples = (rateHz / 1000) * FRAME_MS;
const frame = new Int16Array(frameSamples);
for (let i = 0; i < frameSamples; i++) frame[i] = Math.round(6000 * Math.sin((2 * Math.PI * 220 * i) / rateHz) + 1500 * Math.sin((2 * Math.PI * 1330 * i) / rateHz));

const options = { ...botConfigSchema.parse({ protocol, maxBufferedMs: 10_000 }), url: `ws://127.0.0.1:${ready.port}/bot` };
const start = botConnectorStarter(options, pino({ level: 'silent' }));
// A call's media as the connection sees it, how to feed it a caller frame, and when its echo came back.
interface BenchLeg {
  media: CallMedia;
  feed(): void;
  untilPlayed(frames: number): Promise<void>;
}

function nullLeg(callId: string): BenchLeg {
  const media = new NullMedia(callId, rateHz);
  return { media, feed: () => media.emit('audio', frame), untilPlayed: (frames) => media.untilPlayed(frames) };
}

// The caller frame goes in as the PCM leg's network audio and comes out of the next tick; the
// bot's echo is counted as the connection queues it.
function engineLeg(engine: MediaEngine, callId: string): BenchLeg {
  const media = engine.createPcmSession(callId, { botRateHz: rateHz as BotRateHz, legRateHz: rateHz as BotRateHz, echoCancellation: false, bargeIn: false }, frameStartUs(0));
  let played = 0;
  let waiter: { frames: number; resolve: () => void } | undefined;
  const play = media.play.bind(media);
  media.play = (pcm, maxQueuedMs) => {
    const queued = play(pcm, maxQueuedMs);
    played += pcm.length / frameSamples;
    if (waiter && played >= waiter.frames) waiter.resolve();
    return queued;
  };
  return {
    media,
    feed: () => media.pushCallerPcm(frame),
    untilPlayed: (frames) => (played >= frames ? Promise.resolve() : new Promise((resolve) => (waiter = { frames, resolve }))),
  };
}

// As a media worker runs it: the batched caller frames go out at the end of each tick.
const engine = withEngine ? new MediaEngine({ clock: 'manual', afterTick: flushBotFrames }) : undefined;
const legs = Array.from({ length: calls }, (_, i) => {
  const callId = `call-${i}`;
  const leg = engine ? engineLeg(engine, callId) : nullLeg(callId);
  return { leg, connection: start(leg.media, { callId, source: 'sip' }) };
});
// Frame 0 also waits for every socket to open.
const measuredFrom = Math.floor(frames / 2) + 1;
let measuredCpu: NodeJS.CpuUsage | undefined;
for (let sent = 1; sent <= frames; sent++) {
  if (sent === measuredFrom) measuredCpu = process.cpuUsage();
  for (const { leg } of legs) leg.feed();
  engine?.tick(frameStartUs(sent));
  await Promise.all(legs.map(({ leg }) => leg.untilPlayed(sent)));
}
const usedCpu = process.cpuUsage(measuredCpu);
for (const { connection } of legs) connection.stop('bench_over');
engine?.stop();
const botFrames = once(bot, 'message');
bot.send({ type: 'count' });
const [{ frames: heard }] = (await botFrames) as [{ frames: number }];
// This process's CPU (user + system, µs) per call-frame over the marked half: wall-clock work, the
// kernel's side of the sockets included, so compare builds side by side, runs alternated.
const cpuUsPerCallFrame = (usedCpu.user + usedCpu.system) / (calls * (frames - measuredFrom + 1));
console.log(JSON.stringify({ protocol, calls, frames, botPid: bot.pid, botHeard: heard, cpuUsPerCallFrame: Number(cpuUsPerCallFrame.toFixed(2)) }));
// SIGTERM, not SIGKILL: valgrind writes the bot's counts as it ends.
bot.kill('SIGTERM');
await once(bot, 'exit');

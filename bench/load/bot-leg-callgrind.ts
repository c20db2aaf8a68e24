// The bot leg alone, for instruction counts under callgrind: `calls` bot connections (the node's
// own connector, in the protocol given) with no media session behind them, each call's 20 ms
// caller frame sent and its echo awaited for every call before the next frame, against the load
// bench's echo bot (echo-bot.ts) in a process of its own. The media engine is left out: it does the
// same work whichever protocol the bot speaks. With `valgrind` as the last argument, the echo bot
// runs under callgrind too, so both processes of the leg are counted.
//
//   valgrind --tool=callgrind --smc-check=all-non-file --callgrind-out-file=/tmp/leg-node.%p \
//     node --import tsx bench/load/bot-leg-callgrind.ts twilio 10 1000 valgrind
//
// Startup and the JIT's warm-up are counted too: run two frame counts and divide the difference
// in instructions by the difference in call-frames (calls × frames).
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { z } from 'zod';
import { botConfigSchema, defaultBotRateHz } from '../../engine/bot/bot-config.js';
import { botConnectorStarter } from '../../engine/bot/bot-connector.js';
import { FRAME_MS } from '../../engine/media/frame.js';
import { NullMedia } from '../../test/support/null-media.js';

const args = z
  .tuple([z.enum(['parley', 'twilio']), z.coerce.number().int().min(1), z.coerce.number().int().min(1)])
  .rest(z.literal('valgrind'))
  .parse(process.argv.slice(2));
const [protocol, calls, frames] = args;
const underValgrind = args[3] === 'valgrind';
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
const legs = Array.from({ length: calls }, (_, i) => {
  const media = new NullMedia(`call-${i}`, rateHz);
  return { media, connection: start(media, { callId: `call-${i}`, source: 'sip' }) };
});
// Frame 0 also waits for every socket to open.
for (let sent = 1; sent <= frames; sent++) {
  for (const { media } of legs) media.emit('audio', frame);
  await Promise.all(legs.map(({ media }) => media.untilPlayed(sent)));
}
for (const { connection } of legs) connection.stop('bench_over');
const botFrames = once(bot, 'message');
bot.send({ type: 'count' });
const [{ frames: heard }] = (await botFrames) as [{ frames: number }];
console.log(JSON.stringify({ protocol, calls, frames, botPid: bot.pid, botHeard: heard }));
// SIGTERM, not SIGKILL: valgrind writes the bot's counts as it ends.
bot.kill('SIGTERM');
await once(bot, 'exit');

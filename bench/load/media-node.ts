// The node under test for the load bench, run as a child process: N RTP sessions on consecutive
// ports on the engine's realtime clock, each with its bot: an in-process echo (media only), or a
// real bot connection over a WebSocket to the echo bot process (end to end). Reports its CPU time
// and engine latency over a window on request.
import { pino } from 'pino';
import { botConfigSchema } from '../../engine/bot/bot-config.js';
import type { BotConnection } from '../../engine/bot/bot-connection.js';
import { botConnectorStarter } from '../../engine/bot/bot-connector.js';
import { MediaEngine } from '../../engine/media/media-engine.js';
import { nodeArgsSchema, type NodeReport } from './media-node-protocol.js';

const [codec, calls, firstPort, opusComplexity, botRateHz, bot, botUrl] = nodeArgsSchema.parse(process.argv.slice(2));
const payloadType = codec === 'opus' ? 111 : 0;

const latenciesUs: number[] = [];
const tickWorkUs: number[] = [];
let measuring = false;
// The engine's own realtime loop (one tick per phase slot), measured from its tick callback:
// latency is the slot boundary the tick served → every due session's frame handed to its bot
// (for a real bot: written to its socket).
const engine = new MediaEngine({
  // The engine's default unless a run compares slot counts (PARLEY_LOAD_PHASE_SLOTS).
  phaseSlots: process.env.PARLEY_LOAD_PHASE_SLOTS === undefined ? undefined : Number(process.env.PARLEY_LOAD_PHASE_SLOTS),
  onTick: (dueUs, startUs, doneUs) => {
    if (!measuring) return;
    latenciesUs.push(doneUs - dueUs);
    tickWorkUs.push(doneUs - startUs);
  },
});
const startBot = bot === 'null' ? undefined : botConnectorStarter({ ...botConfigSchema.parse({ protocol: bot }), url: botUrl }, pino({ level: 'silent' }));
const connections: BotConnection[] = [];
for (let i = 0; i < calls; i++) {
  const { session } = engine.createRtpSession(`load-${i}`, {
    codec,
    payloadType,
    localPort: firstPort + i,
    bargeIn: false,
    opusComplexity,
    botRateHz,
  });
  if (startBot) connections.push(startBot(session, { callId: `load-${i}`, source: 'sip' }));
  else session.on('audio', (pcm) => session.play(pcm));
}

const botFrames = (): { to: number; from: number } =>
  connections.reduce((sum, connection) => ({ to: sum.to + connection.stats.framesToBot, from: sum.from + connection.stats.framesFromBot }), { to: 0, from: 0 });

let cpuStart = process.cpuUsage();
let wallStart = performance.now();
let framesStart = botFrames();
process.on('message', (message: { type: string }) => {
  if (message.type === 'start') {
    measuring = true;
    latenciesUs.length = 0;
    tickWorkUs.length = 0;
    cpuStart = process.cpuUsage();
    wallStart = performance.now();
    framesStart = botFrames();
  } else if (message.type === 'stop') {
    const cpu = process.cpuUsage(cpuStart);
    const wallMs = performance.now() - wallStart;
    const frames = botFrames();
    const p99 = (values: number[]): number => values.sort((a, b) => a - b)[Math.floor(values.length * 0.99)] ?? 0;
    const report: NodeReport = {
      type: 'report',
      cpuUs: cpu.user + cpu.system,
      cpuSystemUs: cpu.system,
      wallMs,
      tickLatencyP99Us: p99(latenciesUs),
      tickWorkP99Us: p99(tickWorkUs),
      ticks: latenciesUs.length,
      framesToBot: frames.to - framesStart.to,
      framesFromBot: frames.from - framesStart.from,
    };
    process.send?.(report);
    measuring = false;
    for (const connection of connections) connection.stop('bench_over');
    engine.stop();
    setImmediate(() => process.exit(0));
  }
});
process.send?.({ type: 'ready' });

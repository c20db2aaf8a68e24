// The node under test for the load bench, run as a child process (pinned to one core by the
// bench): N RTP sessions on consecutive ports, each with a null bot that echoes the caller's PCM
// back, on the engine's realtime clock. Reports its CPU time and engine latency over a window on request.
import { MediaEngine } from '../../engine/media/media-engine.js';
import { nodeArgsSchema, type NodeReport } from './media-node-protocol.js';

const [codec, calls, firstPort, opusComplexity, botRateHz] = nodeArgsSchema.parse(process.argv.slice(2));
const payloadType = codec === 'opus' ? 111 : 0;

const latenciesUs: number[] = [];
const tickWorkUs: number[] = [];
let measuring = false;
// The engine's own realtime loop (one tick per phase slot), measured from its tick callback:
// latency is the slot boundary the tick served → every due session's frame handed to its bot.
const engine = new MediaEngine({
  onTick: (dueUs, startUs, doneUs) => {
    if (!measuring) return;
    latenciesUs.push(doneUs - dueUs);
    tickWorkUs.push(doneUs - startUs);
  },
});
for (let i = 0; i < calls; i++) {
  const { session } = engine.createRtpSession(`load-${i}`, {
    codec,
    payloadType,
    localPort: firstPort + i,
    bargeIn: false,
    opusComplexity,
    botRateHz,
  });
  session.on('audio', (pcm) => session.play(pcm));
}

let cpuStart = process.cpuUsage();
let wallStart = performance.now();
process.on('message', (message: { type: string }) => {
  if (message.type === 'start') {
    measuring = true;
    latenciesUs.length = 0;
    tickWorkUs.length = 0;
    cpuStart = process.cpuUsage();
    wallStart = performance.now();
  } else if (message.type === 'stop') {
    const cpu = process.cpuUsage(cpuStart);
    const wallMs = performance.now() - wallStart;
    const p99 = (values: number[]): number => values.sort((a, b) => a - b)[Math.floor(values.length * 0.99)] ?? 0;
    const report: NodeReport = {
      type: 'report',
      cpuUs: cpu.user + cpu.system,
      cpuSystemUs: cpu.system,
      wallMs,
      tickLatencyP99Us: p99(latenciesUs),
      tickWorkP99Us: p99(tickWorkUs),
      ticks: latenciesUs.length,
    };
    process.send?.(report);
    measuring = false;
    engine.stop();
    setImmediate(() => process.exit(0));
  }
});
process.send?.({ type: 'ready' });

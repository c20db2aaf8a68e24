// The node under test for the load bench, run as a child process (pinned to one core by the
// bench): N RTP sessions on consecutive ports, each with a null bot that echoes the caller's PCM
// back, on the real 20 ms clock. Reports its CPU time and engine latency over a window on request.
import { MediaEngine } from '../../engine/media/media-engine.js';
import { nodeArgsSchema, type NodeReport } from './media-node-protocol.js';

const [codec, calls, firstPort, opusComplexity, botRateHz] = nodeArgsSchema.parse(process.argv.slice(2));
const payloadType = codec === 'opus' ? 111 : 0;

const engine = new MediaEngine({ clock: 'manual' });
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

// The bench's own loop rather than the engine's realtime timer, so each tick's latency (time from
// the frame's due time to its hand-over to the bots) can be measured around engine.tick().
const frameUs = 20_000;
const latenciesUs: number[] = [];
const tickWorkUs: number[] = [];
// Aimed at the frame boundaries the sessions keep their frames on (MediaEngine.nextFrameBoundaryUs).
let nextDueUs = MediaEngine.nextFrameBoundaryUs(MediaEngine.monotonicUs());
let measuring = false;
let running = true;

function loop(): void {
  if (!running) return;
  const now = MediaEngine.monotonicUs();
  if (now >= nextDueUs) {
    engine.tick(now);
    const done = MediaEngine.monotonicUs();
    if (measuring) {
      latenciesUs.push(done - nextDueUs);
      tickWorkUs.push(done - now);
    }
    nextDueUs += frameUs;
    if (nextDueUs < now) nextDueUs = MediaEngine.nextFrameBoundaryUs(now);
  }
  setTimeout(loop, Math.max(0, (nextDueUs - MediaEngine.monotonicUs()) / 1000));
}
loop();

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
    running = false;
    engine.stop();
    setImmediate(() => process.exit(0));
  }
});
process.send?.({ type: 'ready' });

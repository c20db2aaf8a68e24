// Opus calls in one process on a manual clock, for instruction counts under callgrind (the load
// bench's wall-clock figures swing with a shared machine's other tenants; instructions do not).
// Each call is the load bench's media-only Opus call: an RTP leg (external transport, so no
// sockets) coding at the bot's 16 kHz, its bot an echo of every caller frame; the callers' packets
// come from a frames file (bench/load/caller-frames.ts writes the load generator's), each call
// starting at its own point of it.
//
//   valgrind --tool=callgrind --smc-check=all-non-file node --import tsx \
//     bench/load/opus-calls-callgrind.ts bench/.build/frames-opus.bin 10 300
//   callgrind_annotate --inclusive=yes callgrind.out.<pid> | grep -E 'MediaEngineBinding::Tick|opus_encode \[|opus_decode \['
//
// Divide by calls × ticks for instructions per call-frame.
import { MediaEngine } from '../../engine/media/media-engine.js';
import { FRAME_MS } from '../../engine/media/frame.js';
import { readFrames } from './caller-frames.js';
import { BOT_RATE_HZ } from './load-step.js';

const OPUS_PAYLOAD_TYPE = 111;
const RTP_CLOCK_SAMPLES_PER_FRAME = 960;
// Calls start this many packets apart in the file, so they do not speak in unison.
const CALL_OFFSET_PACKETS = 37;

const [file, callsArg, ticksArg] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: opus-calls-callgrind.ts <frames file> [calls=10] [ticks=300]');
const packets = readFrames(file);
const calls = Number(callsArg ?? 10);
const ticks = Number(ticksArg ?? 300);
const engine = new MediaEngine({ clock: 'manual' });
const startUs = 1_000_000_000;
let sent = 0;
const sessions = Array.from({ length: calls }, (_, i) => {
  const { session } = engine.createRtpSession(
    `call-${i}`,
    { codec: 'opus', payloadType: OPUS_PAYLOAD_TYPE, transport: 'external', botRateHz: BOT_RATE_HZ },
    { startUs, onOutbound: (out) => (sent += out.length) },
  );
  session.on('audio', (pcm: Int16Array) => session.play(pcm));
  return session;
});
const header = Buffer.alloc(12);
for (let tick = 0; tick < ticks; tick++) {
  const nowUs = startUs + tick * FRAME_MS * 1000;
  sessions.forEach((session, i) => {
    header[0] = 0x80;
    header[1] = OPUS_PAYLOAD_TYPE;
    header.writeUInt16BE(tick & 0xffff, 2);
    header.writeUInt32BE((RTP_CLOCK_SAMPLES_PER_FRAME * tick) >>> 0, 4);
    header.writeUInt32BE(0x1000 + i, 8);
    session.ingest(Buffer.concat([header, packets[(tick + CALL_OFFSET_PACKETS * i) % packets.length]!]), nowUs);
  });
  engine.tick(nowUs);
}
const played = sessions.reduce((sum, session) => sum + (session.stats().jitter?.played ?? 0), 0);
console.log(JSON.stringify({ calls, ticks, packets_sent: sent, frames_played: played }));
engine.stop();

// Media-only calls in one process on a manual clock, for instruction counts under callgrind (the
// load bench's wall-clock figures swing with a shared machine's other tenants; instructions do not).
// Each call is the load bench's media-only call: an RTP leg (external transport, so no sockets)
// with the load bench's options (no barge-in, the bot at 16 kHz, the echo canceller at its default
// unless 'off'), its bot an echo of every caller frame; the callers' packets come from a frames
// file (bench/load/caller-frames.ts writes the load generator's), each call starting at its own
// point of it.
//
//   valgrind --tool=callgrind --smc-check=all-non-file node --import tsx \
//     bench/load/calls-callgrind.ts opus bench/.build/frames-opus.bin 10 300
//   valgrind --tool=callgrind --smc-check=all-non-file node --import tsx \
//     bench/load/calls-callgrind.ts PCMU bench/.build/frames-pcmu.bin 10 300 [default|off]
//   callgrind_annotate --inclusive=yes callgrind.out.<pid> | grep -E 'MediaEngineBinding::Tick|opus_encode \[|opus_decode \['
//
// Divide by calls × ticks for instructions per call-frame. The last line printed has checksums of
// the speech events, of the audio the bots heard and of every packet payload the calls sent, so a
// change to the media path can show its output did not move.
import { createHash } from 'node:crypto';
import { MediaEngine } from '../../engine/media/media-engine.js';
import { readFrames } from './caller-frames.js';
import { CALL_OFFSET_FRAMES, callerPacket, createMediaOnlyCall, frameStartUs, RTP_HEADER_BYTES } from './media-only-call.js';
import type { LoadCodec } from './media-node-protocol.js';

const [codecArg, file, callsArg, ticksArg, echoArg] = process.argv.slice(2);
if ((codecArg !== 'opus' && codecArg !== 'PCMU') || file === undefined) {
  throw new Error('usage: calls-callgrind.ts <opus|PCMU> <frames file> [calls=10] [ticks=300] [echo canceller: default|off]');
}
const codec: LoadCodec = codecArg;
const packets = readFrames(file);
const calls = Number(callsArg ?? 10);
const ticks = Number(ticksArg ?? 300);
const engine = new MediaEngine({ clock: 'manual' });
const sentHash = createHash('sha256');
const botHash = createHash('sha256');
const eventHash = createHash('sha256');
let tick = 0;
let sent = 0;
const sessions = Array.from({ length: calls }, (_, i) => {
  const onOutbound = (out: Buffer[]): void => {
    sent += out.length;
    // The payloads and marker bits only: a leg draws its SSRC, sequence and timestamp at random.
    for (const packet of out) sentHash.update(packet.subarray(1, 2)).update(packet.subarray(RTP_HEADER_BYTES));
  };
  const session = createMediaOnlyCall(engine, `call-${i}`, codec, onOutbound, echoArg === 'off' ? false : undefined);
  session.on('speechStarted', (speechMs: number) => eventHash.update(`${i} ${tick} started ${speechMs}\n`));
  session.on('speechStopped', () => eventHash.update(`${i} ${tick} stopped\n`));
  session.on('audio', (pcm: Int16Array) => {
    botHash.update(pcm);
    session.play(pcm);
  });
  return session;
});
for (; tick < ticks; tick++) {
  const nowUs = frameStartUs(tick);
  sessions.forEach((session, i) => session.ingest(callerPacket(codec, tick, 0x1000 + i, packets[(tick + CALL_OFFSET_FRAMES * i) % packets.length]!), nowUs));
  engine.tick(nowUs);
}
const played = sessions.reduce((sum, session) => sum + (session.stats().jitter?.played ?? 0), 0);
console.log(JSON.stringify({ codec, calls, ticks, packets_sent: sent, frames_played: played, events_sha256: eventHash.digest('hex'), bot_sha256: botHash.digest('hex'), sent_sha256: sentHash.digest('hex') }));
engine.stop();

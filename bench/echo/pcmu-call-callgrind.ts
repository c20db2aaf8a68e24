// The echo bench's G.711 calls (pcmu-call-cpu.ts), one run with the canceller off or on, for
// instruction counts that a shared machine's CPU times cannot give:
//   valgrind --tool=callgrind --smc-check=all-non-file node --import tsx \
//     bench/echo/pcmu-call-callgrind.ts <bot-all-along|conversation> <off|on>
//   callgrind_annotate --inclusive=yes callgrind.out.<pid> | grep -E 'MediaEngineBinding::Tick|LegEchoCanceller::Cancel\('
// Divide by the call-frames printed for instructions per call-frame (the traces are made under
// valgrind too: about 8 minutes a run on the project machine).
import { benchTrace, conversationTrace, traceSpecs } from './echo-traces.js';
import { botAllAlong, conversationCalls, prepareCalls, runCalls } from './pcmu-call-cpu.js';

const [row, echo] = process.argv.slice(2);
if ((row !== 'bot-all-along' && row !== 'conversation') || (echo !== 'off' && echo !== 'on')) {
  throw new Error('usage: pcmu-call-callgrind.ts <bot-all-along|conversation> <off|on>');
}
const narrowband = traceSpecs.flatMap((spec, index) => (spec.rateHz === 8000 ? [index] : []));
const audios = row === 'bot-all-along' ? narrowband.map((index) => botAllAlong(benchTrace(index))) : conversationCalls(conversationTrace(), narrowband.length);
const calls = prepareCalls(audios);
const run = runCalls(calls, echo === 'on');
console.log(JSON.stringify({ row, echo, calls: calls.length, call_frames: run.callFrames, converged_calls: run.convergedCalls }));

// Transcoding cost per 20 ms frame through the addon's one-call-per-frame Transcoder:
// - transcode_opus48k_pcmu_roundtrip_us: Opus 48 kHz -> PCMU -> Opus 48 kHz (decode, resample
//   48->8 kHz, G.711 encode; then G.711 decode, resample 8->48 kHz, Opus encode at complexity 5),
//   two JS->native calls per frame; also as CPU % of one core per call.
// - g722_encode_decode_us: G.722 encode + decode of one frame through the Transcoder (L16/16000 <->
//   G722, two calls), beside the same work on Parley's G.722 classes and on libspandsp's called
//   straight from C++ (bench/codecs/g722-timing.cc, built here), measured in the same run.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Benchmark from 'benchmark';
import { pcmToL16 } from '../../engine/native/l16.js';
import { Transcoder } from '../../engine/native/transcoder.js';
import { renderSpeech } from '../../test/support/speech.js';
import type { BenchResult } from '../bench-part.js';

const repoDir = fileURLToPath(new URL('../../', import.meta.url));
const text = 'Parley turns telephone audio into something a voice bot can hear, and back again, every twenty milliseconds.';

function l16Frames(rateHz: number): Uint8Array[] {
  const speech = renderSpeech(text, { rateHz });
  const samples = rateHz / 50;
  const out: Uint8Array[] = [];
  for (let i = 0; i + samples <= speech.length; i += samples) out.push(pcmToL16(speech.subarray(i, i + samples)));
  return out;
}

// Mean seconds per call of `fn`, from the benchmark package's sampling.
function meanSeconds(name: string, fn: () => void): number {
  const bench = new Benchmark(name, fn, { minSamples: 20, maxTime: 4 });
  bench.run({ async: false });
  console.log(String(bench));
  return bench.stats.mean;
}

function g722Floor(): { parleyUs: number; spandspUs: number } {
  const buildDir = join(repoDir, 'bench', '.build');
  mkdirSync(buildDir, { recursive: true });
  const binary = join(buildDir, 'g722-timing');
  execFileSync('c++', ['-O3', '-std=c++17', `-I${join(repoDir, 'native')}`, '-o', binary, join(repoDir, 'bench/codecs/g722-timing.cc'),
    join(repoDir, 'native/codec/g722_encoder.cc'), join(repoDir, 'native/codec/g722_decoder.cc'),
    join(repoDir, 'native/codec/g722_sub_band.cc'), join(repoDir, 'native/codec/g722_tables.cc'), '-lspandsp']);
  const speech = renderSpeech(text, { rateHz: 16000 });
  const input = Buffer.from(speech.buffer, speech.byteOffset, speech.byteLength);
  const [parleyNs, spandspNs] = execFileSync(binary, ['50'], { input }).toString().trim().split(' ').map(Number);
  return { parleyUs: parleyNs! / 1000, spandspUs: spandspNs! / 1000 };
}

export async function run(): Promise<BenchResult> {
  const opusFrames = (() => {
    const encoder = new Transcoder({ from: 'L16/48000', to: 'opus' });
    return l16Frames(48000).map((frame) => encoder.transcode(frame));
  })();
  const toPcmu = new Transcoder({ from: 'opus', to: 'PCMU' });
  const toOpus = new Transcoder({ from: 'PCMU', to: 'opus' });
  let i = 0;
  const roundTripS = meanSeconds('transcode opus48k -> PCMU -> opus48k', () => {
    toOpus.transcode(toPcmu.transcode(opusFrames[i++ % opusFrames.length]!));
  });

  const speech16k = l16Frames(16000);
  const g722Encoder = new Transcoder({ from: 'L16/16000', to: 'G722' });
  const g722Decoder = new Transcoder({ from: 'G722', to: 'L16/16000' });
  let j = 0;
  const g722S = meanSeconds('G.722 encode + decode via Transcoder', () => {
    g722Decoder.transcode(g722Encoder.transcode(speech16k[j++ % speech16k.length]!));
  });
  const floor = g722Floor();
  const round = (value: number): number => Math.round(value * 100) / 100;
  const g722Us = g722S * 1e6;
  return {
    transcode_opus48k_pcmu_roundtrip_us: round(roundTripS * 1e6),
    transcode_opus48k_pcmu_roundtrip_cpu_pct_per_call: round(roundTripS * 50 * 100),
    g722_encode_decode_us: round(g722Us),
    g722_native_encode_decode_us: round(floor.parleyUs),
    g722_spandsp_encode_decode_us: round(floor.spandspUs),
    g722_native_over_spandsp: round(floor.parleyUs / floor.spandspUs),
    g722_addon_over_spandsp: round(g722Us / floor.spandspUs),
  };
}

// Speex's and WebRTC's echo cancellers as references, each driven by a tiny native runner built
// into bench/.build/ against the Debian libraries (libspeexdsp-dev, libwebrtc-audio-processing-
// dev; test/setup/install-deps.sh installs them). A trace goes to the runner as a file, the
// cleaned capture comes back as a file, and the runner times only its own processing.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const here = fileURLToPath(new URL('.', import.meta.url));
const buildDir = join(here, '..', '.build', 'echo');

export interface ReferenceRun {
  output: Int16Array;
  usPerFrame: number;
}

const runnerOutput = z.object({ us_per_frame: z.number().nonnegative() });

function pkgConfig(args: string[]): string[] {
  return execFileSync('pkg-config', args, { encoding: 'utf8' }).trim().split(/\s+/).filter(Boolean);
}

// Builds both runners (make only rebuilds what changed); the error names the missing package.
export function buildReferenceRunners(): { speex: string; webrtc: string } {
  mkdirSync(buildDir, { recursive: true });
  const speex = join(buildDir, 'speex_echo_runner');
  const webrtc = join(buildDir, 'webrtc_echo_runner');
  let webrtcFlags: string[];
  try {
    webrtcFlags = [...pkgConfig(['--cflags', 'webrtc-audio-processing']), ...pkgConfig(['--libs', 'webrtc-audio-processing'])];
  } catch {
    throw new Error('the echo bench needs WebRTC audio processing: apt-get install -y libwebrtc-audio-processing-dev');
  }
  const makefile = [
    `${speex}: ${join(here, 'speex_echo_runner.c')} ${join(here, 'echo_trace_io.h')}`,
    `\tcc -O2 -I${here} $< -lspeexdsp -o $@`,
    `${webrtc}: ${join(here, 'webrtc_echo_runner.cc')} ${join(here, 'echo_trace_io.h')}`,
    `\tc++ -O2 -std=c++17 -I${here} $< ${webrtcFlags.join(' ')} -o $@`,
    '',
  ].join('\n');
  const makefilePath = join(buildDir, 'echo-runners.mk');
  writeFileSync(makefilePath, makefile);
  try {
    execFileSync('make', ['-s', '-f', makefilePath, speex, webrtc], { stdio: ['ignore', 'ignore', 'inherit'] });
  } catch (error) {
    throw new Error('building the echo reference runners failed; they need libspeexdsp-dev and libwebrtc-audio-processing-dev (apt-get install -y libspeexdsp-dev libwebrtc-audio-processing-dev)', { cause: error });
  }
  return { speex, webrtc };
}

export function runReference(runner: string, rateHz: number, capture: Int16Array, sent: Int16Array, extraArgs: string[] = []): ReferenceRun {
  const frameSamples = rateHz / 50;
  const frames = Math.floor(capture.length / frameSamples);
  const samples = frames * frameSamples;
  const header = new Int32Array([rateHz, frameSamples, frames]);
  const input = join(buildDir, 'trace.in');
  const output = join(buildDir, 'trace.out');
  writeFileSync(input, Buffer.concat([Buffer.from(header.buffer), Buffer.from(capture.buffer, capture.byteOffset, samples * 2), Buffer.from(sent.buffer, sent.byteOffset, samples * 2)]));
  const stdout = execFileSync(runner, [input, output, ...extraArgs], { encoding: 'utf8' });
  const bytes = readFileSync(output);
  return {
    output: new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)),
    usPerFrame: runnerOutput.parse(JSON.parse(stdout)).us_per_frame,
  };
}

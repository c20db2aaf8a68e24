// The physical floor for Opus: libopus compiled at bench time from the very sources the addon
// links (@discordjs/opus's bundled deps/opus, with the addon's release flags and config header)
// and driven by a tiny C program (opus_floor.c) with no runtime in between. The build is cached in
// bench/.build/ (gitignored); make only recompiles what changed. Used by the codecs suite (addon
// vs floor) and the load suite (the Opus ceiling of one core).
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { renderSpeech } from '../../test/support/speech.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const buildDir = join(here, '..', '.build');
const opusDeps = join(dirname(createRequire(import.meta.url).resolve('@discordjs/opus/package.json')), 'deps');
// The addon's libopus flags (node-gyp Release for deps/binding.gyp:libopus), so the floor and the
// addon run the same machine code and the ratio isolates what the addon adds around it.
const CFLAGS = ['-w', '-O3', '-fno-omit-frame-pointer', '-fPIC', '-fvisibility=hidden', '-pthread', '-DPIC', '-DHAVE_CONFIG_H', '-D_FILE_OFFSET_BITS=64'];

const SPEECH_TEXT =
  'Thank you for calling. Your call is important to us. Please tell me, in a few words, what you would like to do today, and I will connect you.';

// Speech (48 kHz mono unless asked), the signal every Opus bench encodes (espeak-ng, so libopus
// stays in its voice modes as it would on a call rather than switching to the cheaper music mode
// on tones).
export function opusBenchSpeech(rateHz = 48000): Int16Array {
  return renderSpeech(SPEECH_TEXT, { rateHz });
}

// Source files of the libopus target in deps/binding.gyp; the arm64-only ones sit under its
// "conditions" key.
function libopusSources(): string[] {
  const gyp = readFileSync(join(opusDeps, 'binding.gyp'), 'utf8');
  const [common = '', arm64 = ''] = gyp.split('"conditions"');
  const list = (text: string): string[] => [...text.matchAll(/"(opus\/[^"]+\.c)"/g)].map((match) => match[1]!);
  return process.arch === 'arm64' ? [...list(common), ...list(arm64)] : list(common);
}

function configDir(): string {
  const os = process.platform === 'darwin' ? 'mac' : process.platform === 'win32' ? 'win' : process.platform;
  return join(opusDeps, 'config', 'opus', os, process.arch);
}

// Writes a Makefile for libopus.a + opus_floor and runs it (at most 2 jobs: shared machine).
export function buildOpusFloor(): string {
  const libDir = join(buildDir, 'libopus');
  mkdirSync(libDir, { recursive: true });
  const includes = [configDir(), 'opus/include', 'opus/celt', 'opus/silk', 'opus/silk/float', 'opus'].map((dir) => `-I${dir.startsWith('/') ? dir : join(opusDeps, dir)}`);
  const sources = libopusSources();
  const objects = sources.map((source) => join(libDir, source.replace(/\.c$/, '.o')));
  const floor = join(buildDir, 'opus_floor');
  const rules = sources.map((source, i) => `${objects[i]}: ${join(opusDeps, source)}\n\t@mkdir -p $(@D)\n\t$(CC) $(CFLAGS) -c $< -o $@\n`);
  const makefile = [
    `CC ?= cc`,
    `CFLAGS = ${[...CFLAGS, ...includes].join(' ')}`,
    `${floor}: ${join(here, 'opus_floor.c')} ${libDir}/libopus.a\n\t$(CC) $(CFLAGS) $< ${libDir}/libopus.a -lm -o $@\n`,
    `${libDir}/libopus.a: ${objects.join(' ')}\n\trm -f $@\n\tar rcs $@ $^\n`,
    ...rules,
  ].join('\n');
  const makefilePath = join(buildDir, 'opus-floor.mk');
  writeFileSync(makefilePath, makefile);
  execFileSync('make', ['-s', '-j', '2', '-f', makefilePath], { stdio: ['ignore', 'ignore', 'inherit'] });
  return floor;
}

const floorOutput = z.object({
  frames: z.number().int().positive(),
  us_per_frame: z.number().positive(),
  best_pass_us_per_frame: z.number().positive(),
  first_pass_bytes: z.number().int().positive(),
});

export interface RawOpusOptions {
  complexity?: number;
  // Passes over the speech file (each ≈ 9 s of audio); the fastest one is reported.
  passes?: number;
  // The PCM rate libopus codes at (48 kHz unless given).
  rateHz?: number;
  // Packets the decoder decodes instead of the encoder's own (a frames file, bench/load/caller-frames.ts).
  packetsFile?: string;
}

export interface RawOpusResult {
  // Encode + decode of one 20 ms frame, µs, in the fastest pass.
  usPerFrame: number;
  // Bytes libopus produced for one pass of the speech from a fresh encoder: the same settings on
  // the same build must give the same bitstream through the addon.
  firstPassBytes: number;
}

export function measureRawOpus(options: RawOpusOptions = {}): RawOpusResult {
  const floor = buildOpusFloor();
  const rateHz = options.rateHz ?? 48000;
  const pcmFile = join(buildDir, `opus-speech-${rateHz / 1000}k.s16`);
  const speech = opusBenchSpeech(rateHz);
  writeFileSync(pcmFile, new Uint8Array(speech.buffer, speech.byteOffset, speech.byteLength));
  const packets = options.packetsFile === undefined ? [] : [options.packetsFile];
  const output = execFileSync(floor, [pcmFile, String(options.complexity ?? 5), String(options.passes ?? 8), String(rateHz), ...packets], { encoding: 'utf8' });
  const parsed = floorOutput.parse(JSON.parse(output));
  return { usPerFrame: parsed.best_pass_us_per_frame, firstPassBytes: parsed.first_pass_bytes };
}

// Raw C libopus cost of one 20 ms frame, encode + decode, in microseconds, on the bench speech.
export const measureRawOpusUsPerFrame = (options: RawOpusOptions = {}): number => measureRawOpus(options).usPerFrame;

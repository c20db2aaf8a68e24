// The demo bot's voice: espeak-ng when it is installed (any text), otherwise the prompts rendered
// into prompts/ by `npm run demo-bot:prompts`. Both come out at the call's rate.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Resampler, type ResamplerRate } from '../../native/resampler.js';
import { parseWav, type Pcm } from './wav.js';

const run = promisify(execFile);

export const PROMPTS = {
  greeting: 'Hello! I am the Parley demo bot. Say something, and I will repeat it.',
  youSaid: 'You said:',
  goodbye: 'Sorry, the assistant is unavailable. Goodbye.',
} as const;

export type PromptName = keyof typeof PROMPTS;

function toRate(pcm: Pcm, rateHz: ResamplerRate): Int16Array {
  if (pcm.sampleRateHz === rateHz) return pcm.samples;
  return new Resampler(pcm.sampleRateHz as ResamplerRate | 22050, rateHz).process(pcm.samples);
}

let espeakAvailable: Promise<boolean> | undefined;

function hasEspeak(): Promise<boolean> {
  espeakAvailable ??= run('espeak-ng', ['--version']).then(
    () => true,
    () => false,
  );
  return espeakAvailable;
}

export async function renderText(text: string): Promise<Pcm> {
  const { stdout } = await run('espeak-ng', ['--stdout', '-v', 'en-us', '-s', '160', text], { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 });
  return parseWav(stdout);
}

const cache = new Map<string, Int16Array>();

// A prompt at `rateHz`: spoken by espeak-ng when available, else read from the shipped WAV.
export async function prompt(name: PromptName, rateHz: ResamplerRate): Promise<Int16Array> {
  const key = `${name}@${rateHz}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const pcm = (await hasEspeak())
    ? await renderText(PROMPTS[name])
    : parseWav(readFileSync(fileURLToPath(new URL(`./prompts/${name}.wav`, import.meta.url))));
  const samples = toRate(pcm, rateHz);
  cache.set(key, samples);
  return samples;
}

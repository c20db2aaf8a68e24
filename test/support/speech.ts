// Real speech for audio tests: espeak-ng renders the text, sox converts it to mono PCM16 at the
// wanted rate. Rendered once per (text, voice, rate) into a cache directory.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cacheDir = join(tmpdir(), 'parley-test-speech');

export interface SpeechOptions {
  rateHz: number;
  voice?: string;
  wordsPerMinute?: number;
}

export function renderSpeech(text: string, options: SpeechOptions): Int16Array {
  const voice = options.voice ?? 'en-us';
  const wpm = options.wordsPerMinute ?? 160;
  const key = createHash('sha1').update(`${text}|${voice}|${wpm}|${options.rateHz}`).digest('hex');
  mkdirSync(cacheDir, { recursive: true });
  const raw = join(cacheDir, `${key}.s16`);
  if (!existsSync(raw)) {
    // Rendered under this process's own names and renamed into place, so test files running in
    // parallel never read a half-written file.
    const wav = join(cacheDir, `${key}.${process.pid}.wav`);
    const partial = `${raw}.${process.pid}.partial`;
    execFileSync('espeak-ng', ['-v', voice, '-s', String(wpm), '-w', wav, text]);
    execFileSync('sox', [wav, '-r', String(options.rateHz), '-c', '1', '-b', '16', '-e', 'signed-integer', '-t', 'raw', partial]);
    renameSync(partial, raw);
    rmSync(wav);
  }
  const bytes = readFileSync(raw);
  return new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

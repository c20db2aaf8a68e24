// Builds the fake microphone's WAV: silence, then an espeak-ng utterance, then silence, at 48 kHz
// (Chromium loops the file).
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeWav } from '../../engine/bot/demo-bot/wav.js';
import { renderSpeech } from './speech.js';

export interface CallerScript {
  file: string;
  speechStartMs: number;
  speechEndMs: number;
  totalMs: number;
}

export function writeCallerAudio(text: string, leadMs: number, tailMs: number): CallerScript {
  const rateHz = 48000;
  const speech = renderSpeech(text, { rateHz });
  const lead = (rateHz / 1000) * leadMs;
  const samples = new Int16Array(lead + speech.length + (rateHz / 1000) * tailMs);
  samples.set(speech, lead);
  const file = join(tmpdir(), `parley-caller-${process.pid}.wav`);
  writeFileSync(file, writeWav({ sampleRateHz: rateHz, samples }));
  return {
    file,
    speechStartMs: leadMs,
    speechEndMs: leadMs + (speech.length * 1000) / rateHz,
    totalMs: (samples.length * 1000) / rateHz,
  };
}

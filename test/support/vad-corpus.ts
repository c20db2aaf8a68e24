// Labelled audio for evaluating voice activity detection, generated here and deterministic:
// espeak-ng utterances placed between silence gaps of fixed lengths, mixed with white, pink or
// babble noise (sox, repeatable mode, so the noise is the same on every run) at a chosen SNR.
// Labels come from where the speech was placed, refined by the clean speech's own frame energy
// (a pause inside an utterance is not speech; a weak consonant next to a voiced one is).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderSpeech } from './speech.js';

export const VAD_RATE_HZ = 16000;
export type NoiseKind = 'white' | 'pink' | 'babble';
export const noiseKinds: readonly NoiseKind[] = ['white', 'pink', 'babble'];
export const evaluationSnrsDb: readonly number[] = [20, 10, 5];

const cacheDir = join(tmpdir(), 'parley-vad-corpus');

// Fixed texts, voices and gaps: the corpus is the same on every machine with the same espeak-ng.
const utterances: readonly { text: string; voice: string }[] = [
  { text: 'Hello, I would like to check the status of my order please.', voice: 'en-us' },
  { text: 'It was placed last Tuesday, and the number is four two seven nine.', voice: 'en-gb' },
  { text: 'Can you hear me? The line is a little noisy today.', voice: 'en-us' },
  { text: 'Yes.', voice: 'en-gb-scotland' },
  { text: 'I moved house in March, so the delivery address has changed.', voice: 'en-029' },
  { text: 'Could you send it to the new one instead?', voice: 'en-us' },
  { text: 'No, thank you, that is everything for now.', voice: 'en-gb' },
  { text: 'Wait, one more thing: what time do you close on Sunday?', voice: 'en-gb-x-rp' },
];
const gapsMs: readonly number[] = [700, 1200, 450, 900, 1500, 600, 1000, 800];
const leadMs = 1000;
// Babble talkers take the voices in turn; each speaks its own sentence.
const babbleVoices: readonly string[] = ['en-us', 'en-gb', 'en-029', 'en-gb-scotland', 'en-gb-x-rp'];
const babbleTexts: readonly string[] = [
  'The meeting moved to the third floor because the projector in the other room broke again.',
  'We should order more coffee before the weekend, the machine is nearly empty.',
  'My brother says the train was late every single morning this week.',
  'If the weather holds we can walk along the river after lunch.',
  'She finished the report early and spent the afternoon answering letters.',
  'Nobody remembered where the spare keys were kept, so we waited outside.',
];

// Active speech level, relative to full scale; noise is scaled against it for the SNR.
const speechLevelDbfs = -26;
// A frame of clean speech is labelled speech when it is no more than this below the loudest frame
// of its utterance (and above the absolute floor): espeak-ng renders word gaps as near silence.
const labelRangeDb = 40;
const labelFloorDbfs = -70;

export interface CleanSpeech {
  samples: Int16Array;
  // 1 per frame of `frameMs` that carries speech.
  labels: Uint8Array;
  // [start, end) sample ranges where an utterance was placed.
  utterances: { start: number; end: number }[];
}

export interface NoisySpeech extends CleanSpeech {
  noise: NoiseKind;
  snrDb: number;
  noisy: Int16Array;
}

function frameEnergyDb(samples: Int16Array, start: number, length: number): number {
  let sum = 0;
  for (let i = start; i < start + length; i++) sum += samples[i]! * samples[i]!;
  return 10 * Math.log10(sum / length / (32768 * 32768) + 1e-12);
}

function scaleTo(samples: Int16Array, gain: number): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(samples[i]! * gain)));
  return out;
}

// Active level: mean power of the frames within 30 dB of the loudest (a simplified ITU-T P.56).
function activePowerDb(samples: Int16Array, frame: number): number {
  const energies: number[] = [];
  for (let i = 0; i + frame <= samples.length; i += frame) energies.push(frameEnergyDb(samples, i, frame));
  const loudest = Math.max(...energies);
  const active = energies.filter((e) => e > loudest - 30);
  return 10 * Math.log10(active.reduce((sum, e) => sum + 10 ** (e / 10), 0) / active.length);
}

export function cleanSpeech(frameMs: 10 | 20 | 30 = 20): CleanSpeech {
  const frame = (VAD_RATE_HZ / 1000) * frameMs;
  const gap = (ms: number): number => Math.round((VAD_RATE_HZ / 1000) * ms / frame) * frame;
  const rendered = utterances.map(({ text, voice }) => {
    const raw = renderSpeech(text, { rateHz: VAD_RATE_HZ, voice });
    return scaleTo(raw, 10 ** ((speechLevelDbfs - activePowerDb(raw, frame)) / 20));
  });
  let total = gap(leadMs);
  rendered.forEach((speech, i) => (total += Math.ceil(speech.length / frame) * frame + gap(gapsMs[i]!)));
  const samples = new Int16Array(total);
  const labels = new Uint8Array(total / frame);
  const placed: { start: number; end: number }[] = [];
  let at = gap(leadMs);
  rendered.forEach((speech, i) => {
    samples.set(speech, at);
    placed.push({ start: at, end: at + speech.length });
    let loudest = -Infinity;
    for (let f = at; f < at + speech.length; f += frame) loudest = Math.max(loudest, frameEnergyDb(samples, f, frame));
    for (let f = at; f < at + speech.length; f += frame) {
      const energy = frameEnergyDb(samples, f, frame);
      if (energy > loudest - labelRangeDb && energy > labelFloorDbfs) labels[f / frame] = 1;
    }
    at += Math.ceil(speech.length / frame) * frame + gap(gapsMs[i]!);
  });
  return { samples, labels, utterances: placed };
}

function cached(name: string, make: (file: string) => void): Int16Array {
  mkdirSync(cacheDir, { recursive: true });
  const file = join(cacheDir, name);
  if (!existsSync(file)) {
    // Made under a private name and renamed: test files running in parallel never read half a file.
    const partial = `${file}.${process.pid}.partial`;
    make(partial);
    renameSync(partial, file);
  }
  const bytes = readFileSync(file);
  return new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

const rawFormat = ['-r', String(VAD_RATE_HZ), '-c', '1', '-b', '16', '-e', 'signed-integer', '-t', 'raw'];

// Several talkers at once, each looping its sentence with a different start: speech-shaped,
// non-stationary noise, the hard case for a VAD.
function babbleNoise(samplesWanted: number): Int16Array {
  const mixed = new Float64Array(samplesWanted);
  babbleTexts.forEach((text, talker) => {
    const voice = babbleVoices[talker % babbleVoices.length]!;
    const speech = renderSpeech(text, { rateHz: VAD_RATE_HZ, voice, wordsPerMinute: 150 + talker * 10 });
    const offset = Math.round((talker * speech.length) / babbleTexts.length);
    for (let i = 0; i < samplesWanted; i++) mixed[i]! += speech[(i + offset) % speech.length]!;
  });
  const out = new Int16Array(samplesWanted);
  for (let i = 0; i < samplesWanted; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(mixed[i]! / 2)));
  return out;
}

export function noise(kind: NoiseKind, samples: number): Int16Array {
  const seconds = samples / VAD_RATE_HZ;
  return cached(`${kind}-${samples}.s16`, (file) => {
    if (kind === 'babble') {
      writeFileSync(file, babbleNoise(samples));
      return;
    }
    // -R: sox seeds its generator with a fixed number, so the noise is identical on every run.
    execFileSync('sox', ['-R', '-D', '-n', ...rawFormat, file, 'synth', String(seconds), kind === 'white' ? 'whitenoise' : 'pinknoise', 'vol', '0.5']);
  }).subarray(0, samples);
}

function powerOfFrames(samples: Int16Array, labels: Uint8Array, frame: number, wanted: 0 | 1 | 'all'): number {
  let sum = 0;
  let count = 0;
  for (let f = 0; f < labels.length; f++) {
    if (wanted !== 'all' && labels[f] !== wanted) continue;
    for (let i = f * frame; i < (f + 1) * frame; i++) sum += samples[i]! * samples[i]!;
    count += frame;
  }
  return sum / Math.max(1, count);
}

export function noisySpeech(kind: NoiseKind, snrDb: number, frameMs: 10 | 20 | 30 = 20): NoisySpeech {
  const clean = cleanSpeech(frameMs);
  const frame = (VAD_RATE_HZ / 1000) * frameMs;
  const noiseSamples = noise(kind, clean.samples.length);
  const speechPower = powerOfFrames(clean.samples, clean.labels, frame, 1);
  const noisePower = powerOfFrames(noiseSamples, clean.labels, frame, 'all');
  const gain = Math.sqrt(speechPower / (noisePower * 10 ** (snrDb / 10)));
  const noisy = cached(`mix-${kind}-${frameMs}-${gain.toFixed(6)}.s16`, (file) => {
    const speechFile = `${file}.speech.raw`;
    const noiseFile = `${file}.noise.raw`;
    writeFileSync(speechFile, clean.samples);
    writeFileSync(noiseFile, noiseSamples);
    // sox -m with explicit -v per input adds the inputs at exactly those gains.
    execFileSync('sox', ['-R', '-D', '-m', '-v', '1', ...rawFormat, speechFile, '-v', gain.toFixed(6), ...rawFormat, noiseFile, ...rawFormat, file]);
    rmSync(speechFile);
    rmSync(noiseFile);
  });
  return { ...clean, noise: kind, snrDb, noisy };
}

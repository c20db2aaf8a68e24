// `npm run demo-bot:prompts`: renders the demo bot's prompts with espeak-ng into prompts/*.wav
// (16 kHz mono), the fallback voice for machines without espeak-ng.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Resampler } from '../../native/resampler.js';
import { PROMPTS, renderText, type PromptName } from './speech-source.js';
import { writeWav } from './wav.js';

for (const name of Object.keys(PROMPTS) as PromptName[]) {
  const speech = await renderText(PROMPTS[name]);
  const samples = new Resampler(speech.sampleRateHz as 22050, 16000).process(speech.samples);
  const file = fileURLToPath(new URL(`./prompts/${name}.wav`, import.meta.url));
  writeFileSync(file, writeWav({ sampleRateHz: 16000, samples }));
  console.log(`wrote ${file} (${(samples.length / 16000).toFixed(2)} s)`);
}

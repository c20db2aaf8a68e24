// The bot's side of barge-in runs: espeak-ng sentences with short pauses between them (as a
// streaming TTS sends them), repeated to the wanted length, at 16 kHz.
import { renderSpeech } from './speech.js';

const sentences = [
  'Thank you for calling. Your order shipped on Monday and should arrive within three working days.',
  'If you are not at home, the driver will leave a card with a number to call.',
  'Is there anything else I can help you with today?',
];

export function botSpeech(totalMs: number, pauseMs = 300): Int16Array {
  const rateHz = 16000;
  const pause = (rateHz / 1000) * pauseMs;
  const rendered = sentences.map((text) => renderSpeech(text, { rateHz, voice: 'en-gb-x-rp' }));
  const out = new Int16Array((rateHz / 1000) * totalMs);
  let at = 0;
  for (let i = 0; at < out.length; i++) {
    const sentence = rendered[i % rendered.length]!;
    out.set(sentence.subarray(0, Math.min(sentence.length, out.length - at)), at);
    at += sentence.length + pause;
  }
  return out;
}

// What came back of a bot's own speech in the caller audio the bot received: whether it is the
// bot's voice at all (the speech's outline locates it, then 200 ms windows are matched sample by
// sample) and how loud it came back relative to what the bot sent. Both recordings are PCM16 at
// the bot's rate; `heard[0]` is the instant the bot's first sample was handed to the node.
import { rmsDbfs } from './signal-metrics.js';
import { windowSnr } from './window-snr.js';

export interface EchoReturn {
  // From the bot sending a sample to hearing it back: the node's queue, both networks, the page.
  delayMs: number;
  // Median waveform correlation of the 200 ms windows of sent speech with what came back.
  correlation: number;
}

// Both ends' jitter buffers move the echo's delay by up to 150 ms within a call (measured through
// Chromium on the loaded test machine); each window is matched within this much of the overall delay.
const DELAY_SLACK_MS = 200;

export function echoReturn(sent: Int16Array, heard: Int16Array, rateHz: number): EchoReturn {
  const match = windowSnr(sent.subarray(0, heard.length), heard, rateHz, DELAY_SLACK_MS);
  return { delayMs: (match.delaySamples * 1000) / rateHz, correlation: match.medianCorrelation };
}

// Level of what the bot heard over [fromMs, toMs) of `heard`, relative to what it sent `delayMs`
// earlier, in dB: the echo return with nothing removing it, what is left of it otherwise. Over
// seconds of speech a delay wrong by a few frames changes this by a fraction of a dB.
export function returnLevelDb(sent: Int16Array, heard: Int16Array, rateHz: number, fromMs: number, toMs: number, delayMs: number): number {
  const at = (ms: number): number => Math.round((ms * rateHz) / 1000);
  return rmsDbfs(heard, at(fromMs), at(toMs)) - rmsDbfs(sent, at(fromMs - delayMs), at(toMs - delayMs));
}

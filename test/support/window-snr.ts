// How faithfully a transport carried audio when the two ends' recordings start at unknown times:
// the 20 ms energy envelopes find the overall delay, then each 200 ms window of `reference` that
// holds speech is matched within ±`slack` samples of it and its SNR taken there. Medians over
// windows are reported, so one late tick on a loaded machine (a frame concealed or repeated,
// shifting what follows) does not hide how clean the rest arrived.
import alawmulaw from 'alawmulaw';
import { bestAlignment, rmsDbfs, snrDb } from './signal-metrics.js';

// 8 kHz PCM after a µ-law leg: what a PCMU caller's audio is at best.
export function mulawRoundTrip(pcm: Int16Array): Int16Array {
  return alawmulaw.mulaw.decode(alawmulaw.mulaw.encode(pcm));
}

// 20 ms frames of 8 kHz audio above -40 dBFS: speech present, whatever its delay.
export function loudFrames(pcm8k: Int16Array): number {
  let loud = 0;
  for (let start = 0; start + 160 <= pcm8k.length; start += 160) if (rmsDbfs(pcm8k, start, start + 160) > -40) loud++;
  return loud;
}

export interface WindowMatch {
  delaySamples: number;
  medianSnrDb: number;
  medianCorrelation: number;
  windows: number;
}

// RMS per frame: the speech's outline, which survives codecs and any sample-level shift.
function envelope(signal: Int16Array, frame: number): number[] {
  const out: number[] = [];
  for (let start = 0; start + frame <= signal.length; start += frame) {
    let sum = 0;
    for (let i = start; i < start + frame; i++) sum += signal[i]! * signal[i]!;
    out.push(Math.sqrt(sum / frame));
  }
  return out;
}

export function windowSnr(reference: Int16Array, signal: Int16Array, rateHz: number, slackMs = 60): WindowMatch {
  const frame = rateHz / 50;
  // Negative when the recording started after the reference began (its first frames missed). At
  // least half of the shorter one must overlap: a one-frame overlap correlates perfectly.
  const [referenceFrames, signalFrames] = [envelope(reference, frame), envelope(signal, frame)];
  const overlap = Math.floor(Math.min(referenceFrames.length, signalFrames.length) / 2);
  const coarse = bestAlignment(referenceFrames, signalFrames, overlap - referenceFrames.length, signalFrames.length - overlap);
  const delaySamples = coarse.lag * frame;
  const window = rateHz / 5;
  const slack = Math.round((slackMs * rateHz) / 1000);
  const snrs: number[] = [];
  const correlations: number[] = [];
  for (let start = 0; start + window <= reference.length; start += window) {
    const part = reference.subarray(start, start + window);
    if (rmsDbfs(part) < -40 || start + delaySamples - slack < 0 || start + delaySamples + slack + window > signal.length) continue;
    const { lag, correlation } = bestAlignment(part, signal, start + delaySamples - slack, start + delaySamples + slack);
    correlations.push(correlation);
    snrs.push(snrDb(part, signal, lag));
  }
  const median = (values: number[]): number => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? -Infinity;
  return { delaySamples, medianSnrDb: median(snrs), medianCorrelation: median(correlations), windows: snrs.length };
}

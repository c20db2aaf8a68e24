// Resampler figures for bench/results/codecs.json: the 48 -> 16 kHz quality keys the issue sets
// goals for (stopband >= 60 dB, delay <= 2 ms), every rate pair's measurements, and the cost of
// one 20 ms frame through the addon: 48 -> 16 kHz, and 8 <-> 16 kHz both ways (every G.711 call's).
import Benchmark from 'benchmark';
import { Resampler, type ResamplerRate } from '../../engine/native/resampler.js';
import { measureResampler } from '../../test/support/resampler-quality.js';
import type { BenchResult } from '../bench-part.js';

const rates: ResamplerRate[] = [8000, 16000, 24000, 48000];
const round = (value: number, digits: number): number => Number(value.toFixed(digits));

// Microseconds per 20 ms frame through the addon, from `input` to `output` Hz.
function frameCost(input: ResamplerRate, output: ResamplerRate): Promise<number> {
  const resampler = new Resampler(input, output);
  const frame = Int16Array.from({ length: input / 50 }, (_, n) => Math.round(16384 * Math.sin((2 * Math.PI * 440 * n) / input)));
  const out = new Int16Array(output / 50 + 1); // MaxOutputSamples of a frame
  return new Promise((resolve) => {
    new Benchmark(`resampler ${input / 1000}->${output / 1000} kHz, one 20 ms frame`, () => resampler.processInto(frame, out))
      .on('complete', function (this: Benchmark) {
        console.log(String(this));
        resolve(round(1e6 / this.hz, 3));
      })
      .run();
  });
}

export async function run(): Promise<BenchResult> {
  const pairs = rates.flatMap((input) =>
    rates.filter((output) => output !== input).map((output) => {
      const q = measureResampler(input, output);
      return {
        pair: `${input / 1000}k->${output / 1000}k`,
        passband_edge_hz: Math.round(q.passbandEdgeHz),
        passband_ripple_db: round(q.passbandRippleDb, 4),
        stopband_db: round(q.stopbandAttenuationDb, 1),
        sine_snr_db: round(q.sineSnrDb, 1),
        sweep_snr_db: round(q.sweepSnrDb, 1),
        delay_ms: round(q.groupDelayMs, 3),
      };
    }),
  );
  console.table(pairs);
  const target = pairs.find((p) => p.pair === '48k->16k')!;
  const frameUs = await frameCost(48000, 16000);
  // A telephone leg with the bot at 16 kHz: both directions of every frame of a G.711 call.
  const telephoneFrameUs = round((await frameCost(8000, 16000)) + (await frameCost(16000, 8000)), 3);
  return {
    resampler_stopband_db: target.stopband_db,
    resampler_passband_ripple_db: target.passband_ripple_db,
    resampler_delay_ms: target.delay_ms,
    resampler_48k_16k_frame_us: frameUs,
    resampler_8k_16k_both_ways_frame_us: telephoneFrameUs,
    resampler_pairs: pairs,
  };
}

// Resampler figures for bench/results/codecs.json: the 48 -> 16 kHz quality keys the issue sets
// goals for (stopband >= 60 dB, delay <= 2 ms), every rate pair's measurements, and the cost of
// one 20 ms frame through the addon.
import Benchmark from 'benchmark';
import { Resampler, type ResamplerRate } from '../../engine/native/resampler.js';
import { measureResampler } from '../../test/support/resampler-quality.js';
import type { BenchResult } from '../bench-part.js';

const rates: ResamplerRate[] = [8000, 16000, 24000, 48000];
const round = (value: number, digits: number): number => Number(value.toFixed(digits));

function frameCost(): Promise<number> {
  const resampler = new Resampler(48000, 16000);
  const frame = Int16Array.from({ length: 960 }, (_, n) => Math.round(16384 * Math.sin((2 * Math.PI * 440 * n) / 48000)));
  const out = new Int16Array(321); // MaxOutputSamples(960) at 3:1
  return new Promise((resolve) => {
    new Benchmark('resampler 48->16 kHz, one 20 ms frame', () => resampler.processInto(frame, out))
      .on('complete', function (this: Benchmark) {
        console.log(String(this));
        resolve(this.hz);
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
  const framesPerSecond = await frameCost();
  return {
    resampler_stopband_db: target.stopband_db,
    resampler_passband_ripple_db: target.passband_ripple_db,
    resampler_delay_ms: target.delay_ms,
    resampler_48k_16k_frame_us: round(1e6 / framesPerSecond, 3),
    resampler_pairs: pairs,
  };
}

// Native G.711 µ-law (engine/native/g711.ts) against the `alawmulaw` package on the same 20 ms
// speech frames, encode + decode, side by side. Measured two ways, because the answer depends on
// what one call carries:
//  - per frame: one 160-sample frame per call, native writing into caller-supplied arrays. Here a
//    N-API crossing (~0.1-0.3 µs) is of the same order as the G.711 work itself (160 table
//    look-ups), so the ratio says more about the crossing than about the codec;
//  - per tick: the frames of 100 calls in one call, which is how the media engine works (one
//    batched tick for all sessions), so the crossing is paid once per 20 ms, not per frame.
// The reported key g711_addon_over_alawmulaw is the per-tick ratio; the per-frame one is kept
// beside it so the crossing's cost stays visible.
import alawmulaw from 'alawmulaw';
import type { BenchResult } from '../bench-part.js';
import { decodeUlaw, encodeUlaw } from '../../engine/native/g711.js';
import { renderSpeech } from '../../test/support/speech.js';
import { round2, runSideBySide } from '../side-by-side.js';

const FRAME_SAMPLES = 160;
const CALLS_PER_TICK = 100;
const ROUNDS = 2;

export async function run(): Promise<BenchResult> {
  const speech = renderSpeech('Parley carries telephone calls to voice bots and back again.', { rateHz: 8000 });
  const tickSamples = FRAME_SAMPLES * CALLS_PER_TICK;
  const tick = new Int16Array(tickSamples);
  for (let i = 0; i < tickSamples; i++) tick[i] = speech[i % speech.length]!;
  const frame = tick.subarray(0, FRAME_SAMPLES);
  const frameCodes = new Uint8Array(FRAME_SAMPLES);
  const framePcm = new Int16Array(FRAME_SAMPLES);
  const tickCodes = new Uint8Array(tickSamples);
  const tickPcm = new Int16Array(tickSamples);
  // Consumed after the runs so no engine can drop the work as dead.
  let sink = 0;

  const cases = {
    'addon frame': () => {
      decodeUlaw(encodeUlaw(frame, frameCodes), framePcm);
    },
    'alawmulaw frame': () => {
      sink += alawmulaw.mulaw.decode(alawmulaw.mulaw.encode(frame))[7]!;
    },
    'addon tick': () => {
      decodeUlaw(encodeUlaw(tick, tickCodes), tickPcm);
    },
    'alawmulaw tick': () => {
      sink += alawmulaw.mulaw.decode(alawmulaw.mulaw.encode(tick))[7]!;
    },
  };
  // The machine is shared: the rounds alternate the cases and each keeps its best round. The
  // mean rate of a round, not its fastest sample, because alawmulaw allocates its output arrays
  // and the garbage collection that costs is part of its throughput.
  const bestHz: Record<string, number> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, result] of Object.entries(runSideBySide('g711', cases))) bestHz[name] = Math.max(bestHz[name] ?? 0, result.hz);
  }
  sink += framePcm[7]! + tickPcm[7]!;
  if (!Number.isFinite(sink)) throw new Error('G.711 produced no samples');
  const addonFrame = bestHz['addon frame']!;
  const peerFrame = bestHz['alawmulaw frame']!;
  const addonTick = CALLS_PER_TICK * bestHz['addon tick']!;
  const peerTick = CALLS_PER_TICK * bestHz['alawmulaw tick']!;
  console.log(`[g711] frames/s encode+decode: one frame per call: addon ${addonFrame.toFixed(0)}, alawmulaw ${peerFrame.toFixed(0)}; ${CALLS_PER_TICK} frames per call: addon ${addonTick.toFixed(0)}, alawmulaw ${peerTick.toFixed(0)}`);
  return {
    g711_addon_over_alawmulaw: round2(addonTick / peerTick),
    g711_addon_over_alawmulaw_per_frame_call: round2(addonFrame / peerFrame),
    g711_addon_frames_per_s: Math.round(addonTick),
    g711_alawmulaw_frames_per_s: Math.round(peerTick),
    g711_addon_frames_per_s_one_frame_per_call: Math.round(addonFrame),
    g711_alawmulaw_frames_per_s_one_frame_per_call: Math.round(peerFrame),
  };
}

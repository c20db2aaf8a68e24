// Opus encode + decode of one 20 ms frame (48 kHz mono espeak-ng speech, complexity 5, 32 kbit/s,
// voice signal, in-band FEC), three ways in one run: Parley's addon (engine/native/opus.ts,
// one crossing each way, into reused arrays), raw libopus from C (opus_floor.c: the physical floor), and
// @discordjs/opus from JS. The machine is shared, so the rounds alternate the three and each keeps
// its fastest sample (≈0.1 s of frames; the C program's fastest pass, likewise): the least
// disturbed measurement of each is the fairest comparison. The addon and the C program run the
// same libopus build with the same settings, so their bitstreams must match byte for byte.
import discordOpus from '@discordjs/opus';
import type { BenchResult } from '../bench-part.js';
import { OpusDecoder, OpusEncoder, type OpusEncoderOptions } from '../../engine/native/opus.js';
import { splitFrames } from '../frames.js';
import { round2, runSideBySide } from '../side-by-side.js';
import { measureRawOpus, opusBenchSpeech } from './raw-opus.js';

const FRAME_SAMPLES = 960;
const COMPLEXITY = 5;
const ROUNDS = 4;
// libopus encoder requests (opus_defines.h), for the settings @discordjs/opus has no setter for.
const CTL = { application: 4000, complexity: 4010, inbandFec: 4012, packetLossPerc: 4014, dtx: 4016, signal: 4024 } as const;
const OPUS_APPLICATION_VOIP = 2048;
const OPUS_SIGNAL_VOICE = 3001;
const ADDON_OPTIONS: OpusEncoderOptions = { complexity: COMPLEXITY, bitrateBps: 32000, fec: true };

// @discordjs/opus with the addon's settings (it creates its encoder for OPUS_APPLICATION_AUDIO;
// the application can still be changed before the first frame).
function discordCodec(): discordOpus.OpusEncoder {
  const codec = new discordOpus.OpusEncoder(48000, 1);
  codec.applyEncoderCTL(CTL.application, OPUS_APPLICATION_VOIP);
  codec.setBitrate(32000);
  codec.applyEncoderCTL(CTL.complexity, COMPLEXITY);
  codec.applyEncoderCTL(CTL.inbandFec, 1);
  codec.applyEncoderCTL(CTL.packetLossPerc, 10);
  codec.applyEncoderCTL(CTL.dtx, 0);
  codec.applyEncoderCTL(CTL.signal, OPUS_SIGNAL_VOICE);
  return codec;
}

function addonPassBytes(pcmFrames: Int16Array[]): number {
  const encoder = new OpusEncoder(ADDON_OPTIONS);
  const packet = new Uint8Array(1500);
  return pcmFrames.reduce((bytes, frame) => bytes + encoder.encodeInto(frame, packet), 0);
}

export async function run(): Promise<BenchResult> {
  const pcmFrames = splitFrames(opusBenchSpeech(), FRAME_SAMPLES);
  const addonBytes = addonPassBytes(pcmFrames);
  const pcmBuffers = pcmFrames.map((frame) => Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
  const addonEncoder = new OpusEncoder(ADDON_OPTIONS);
  const addonDecoder = new OpusDecoder();
  const discord = discordCodec();
  const packet = new Uint8Array(1500);
  const decoded = new Int16Array(FRAME_SAMPLES);
  let addonIndex = 0;
  let discordIndex = 0;
  let checksum = 0;

  const best = { addon: Infinity, rawC: Infinity, discordjs: Infinity };
  let rawBytes = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const raw = measureRawOpus({ complexity: COMPLEXITY, passes: 6 });
    best.rawC = Math.min(best.rawC, raw.usPerFrame);
    rawBytes = raw.firstPassBytes;
    const cases = runSideBySide('opus', {
      'addon encode+decode': () => {
        const length = addonEncoder.encodeInto(pcmFrames[addonIndex++ % pcmFrames.length]!, packet);
        addonDecoder.decodeInto(packet.subarray(0, length), decoded);
      },
      '@discordjs/opus encode+decode': () => {
        checksum += discord.decode(discord.encode(pcmBuffers[discordIndex++ % pcmBuffers.length]!)).length;
      },
    });
    best.addon = Math.min(best.addon, 1e6 * cases['addon encode+decode']!.fastestPeriodS);
    best.discordjs = Math.min(best.discordjs, 1e6 * cases['@discordjs/opus encode+decode']!.fastestPeriodS);
    console.log(`[opus] round ${round + 1}: best so far µs/frame addon ${best.addon.toFixed(1)}, raw C ${best.rawC.toFixed(1)}, @discordjs/opus ${best.discordjs.toFixed(1)}`);
  }
  if (checksum === 0) throw new Error('@discordjs/opus decoded nothing');
  console.log(`[opus] one pass of the speech: addon ${addonBytes} bytes, raw C ${rawBytes} bytes`);
  return {
    opus_addon_bitstream_matches_raw_c: addonBytes === rawBytes,
    opus_addon_over_raw_c: round2(best.addon / best.rawC),
    opus_discordjs_over_raw_c: round2(best.discordjs / best.rawC),
    opus_addon_us_per_frame: round2(best.addon),
    opus_raw_c_us_per_frame: round2(best.rawC),
    opus_discordjs_us_per_frame: round2(best.discordjs),
    opus_bench_complexity: COMPLEXITY,
  };
}

// The work behind the Opus ceiling of one core (how many calls raw C libopus alone could code:
// 20 ms ÷ encode + decode of one frame, bench/codecs/opus_floor.c), the same codec work as one of
// the load bench's Opus calls. A call's leg encodes its bot's audio at the bot's rate (SILK-only
// wideband at 16 kHz) and decodes what its caller sends: the generator's own packets (48 kHz
// speech, hybrid fullband), which cost about twice as much to decode as the leg's own wideband
// packets would (callgrind: 212 against 110 thousand instructions per frame; encode + decode
// 1.59 against 1.49 million, so a ceiling that decoded its own packets was about 7 % too high).
import { measureRawOpusUsPerFrame } from '../codecs/raw-opus.js';
import type { LoadCodec } from './media-node-protocol.js';

export interface OpusCeilingWork {
  // The rate libopus codes at on the node's Opus legs (their bot's).
  rateHz: number;
  // The packets the ceiling decodes: the frames file the load generator sends.
  packetsFile: string;
}

export const opusCeilingWork = (callerFrames: Record<LoadCodec, string>, botRateHz: number): OpusCeilingWork => ({
  rateHz: botRateHz,
  packetsFile: callerFrames.opus,
});

// Raw C encode + decode of one frame of that work, µs (the fastest pass).
export const measureOpusCeilingUsPerFrame = (work: OpusCeilingWork, complexity: number): number => measureRawOpusUsPerFrame({ complexity, ...work });

// The Opus format parameters (RFC 7587 section 6.1) the node answers with, for SIP and WebRTC
// alike. An Opus leg codes at its bot's rate (16 kHz by default; the RTP clock stays 48 kHz), so
// audio above half that rate never reaches the bot: maxplaybackrate says so, and RFC 7587 section
// 7.1 then has the caller's encoder send no wider a band (a browser at 16 kHz codes SILK-only
// wideband instead of hybrid fullband, which costs the node half as much to decode: 110 against
// 212 thousand instructions per 20 ms frame, callgrind on bench/codecs/opus_floor.c), and fewer
// bits. sprop-maxcapturerate declares that what the node sends is coded at that rate too. Both
// are left out at 48 kHz, their default.
import type { SessionOptions } from './media-session-options.js';
import { DEFAULT_BOT_RATE_HZ } from './media-session-options.js';

const OPUS_DEFAULT_RATE_HZ = 48000;

// The PCM rate the node's Opus legs code at (the media engine's legRateOf for Opus).
export const opusCodingRateHz = (session: SessionOptions | undefined): number => session?.botRateHz ?? DEFAULT_BOT_RATE_HZ;

export interface OpusFmtpOptions {
  // Unset: 48 kHz.
  codingRateHz?: number;
  // usedtx=1: ask the peer to send its silence as DTX.
  dtx?: boolean;
}

export function opusAnswerFmtp({ codingRateHz, dtx }: OpusFmtpOptions): string {
  const parameters = ['minptime=10', 'useinbandfec=1'];
  if (codingRateHz !== undefined && codingRateHz < OPUS_DEFAULT_RATE_HZ) parameters.push(`maxplaybackrate=${codingRateHz}`, `sprop-maxcapturerate=${codingRateHz}`);
  if (dtx) parameters.push('usedtx=1');
  return parameters.join(';');
}

// The Opus fmtp the node answers with (RFC 7587 sections 6.1 and 7.1).
import { describe, expect, it } from 'vitest';
import { opusAnswerFmtp, opusCodingRateHz } from '../../../engine/media/opus-fmtp.js';

describe('opusAnswerFmtp', () => {
  it('asks for no wider a band than the node codes at, and declares its own capture rate', () => {
    expect(opusAnswerFmtp({ codingRateHz: 16000 })).toBe('minptime=10;useinbandfec=1;maxplaybackrate=16000;sprop-maxcapturerate=16000');
    expect(opusAnswerFmtp({ codingRateHz: 8000, dtx: true })).toBe('minptime=10;useinbandfec=1;maxplaybackrate=8000;sprop-maxcapturerate=8000;usedtx=1');
  });

  it('leaves both rates out at 48 kHz, their default, or when no rate is given', () => {
    expect(opusAnswerFmtp({ codingRateHz: 48000 })).toBe('minptime=10;useinbandfec=1');
    expect(opusAnswerFmtp({})).toBe('minptime=10;useinbandfec=1');
  });

  it('takes the rate the node\'s Opus legs code at: the bot\'s, 16 kHz unless configured', () => {
    expect(opusCodingRateHz(undefined)).toBe(16000);
    expect(opusCodingRateHz({ botRateHz: 24000 })).toBe(24000);
  });
});

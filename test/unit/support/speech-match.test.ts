// speechMatch, the real-Asterisk transport tests' judge of speech: a stream that slipped later (a
// stall on a loaded machine delays what follows, losing nothing) must score as carried when the
// check allows slips, and a stream that lost a stretch (what follows comes earlier) must not.
import { describe, expect, it } from 'vitest';
import { speechMatch } from '../../support/asterisk/audio-checks.js';
import { concatSamples } from '../../support/resampler-quality.js';
import { renderSpeech } from '../../support/speech.js';

const RATE_HZ = 8000;
const reference = renderSpeech('Thank you for calling, how can I help?', { rateHz: RATE_HZ });
const cut = Math.round(reference.length * 0.4);
const stall = (RATE_HZ * 280) / 1000;
const lead = new Int16Array((RATE_HZ * 100) / 1000);

describe('speechMatch', () => {
  const slipped = concatSamples([lead, reference.subarray(0, cut), new Int16Array(stall), reference.subarray(cut)]);
  const lost = concatSamples([lead, reference.subarray(0, cut), reference.subarray(cut + stall)]);

  it('scores a stream that slipped 280 ms partway as carried when slips are allowed, and not otherwise', () => {
    const fixed = speechMatch(reference, slipped, RATE_HZ);
    const following = speechMatch(reference, slipped, RATE_HZ, 600, 400);
    expect(fixed.matched).toBeLessThan(0.8);
    expect(following.matched).toBeGreaterThan(0.95);
    expect(following.correlation).toBeGreaterThan(0.95);
  });

  it('still finds a lost stretch when slips are allowed: everything after it scores as missing', () => {
    const whole = speechMatch(reference, concatSamples([lead, reference]), RATE_HZ, 600, 400);
    const missing = speechMatch(reference, lost, RATE_HZ, 600, 400);
    expect(whole.matched).toBe(1);
    expect(missing.matched).toBeLessThan(0.8);
  });
});

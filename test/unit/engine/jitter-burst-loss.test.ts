// Expand on a loss burst: through a real native session on a manual clock, speech with 120 ms of
// packets lost every 1.5 s, scored against the clean source by the jitter bench's scorer
// (bench/jitter/audio-quality.ts) in both buffer modes on the same packets. The decoder's own
// concealment (G.711 Appendix I) is silent after 60 ms; the buffer fades it into noise with the
// spectral envelope and level of the speech before the loss, falling 3 dB per 10 ms, and fades the
// packet after the loss in over 2.5 ms.
import { describe, expect, it } from 'vitest';
import { scoreAudio } from '../../../bench/jitter/audio-quality.js';
import { planSpeech, runSpeech } from '../../../bench/jitter/speech-run.js';
import { generateTrace, type Trace } from '../../support/network-impairment.js';

const BURST_EVERY = 75; // packets: 1.5 s
const BURST_PACKETS = 6; // 120 ms

function burstTrace(): Trace {
  const trace = generateTrace({ name: 'bursts', seed: 41, durationS: 12, jitter: { kind: 'gaussian', sigmaMs: 2 } });
  const lost = (index: number): boolean => index > BURST_EVERY && index % BURST_EVERY < BURST_PACKETS;
  const packets = trace.packets.filter((p) => !lost(p.index));
  return { ...trace, packets, lost: trace.lost + trace.packets.length - packets.length };
}

describe('jitter buffer: expand on a loss burst', () => {
  const plan = planSpeech(burstTrace(), 41);
  const score = (timeStretch: boolean) => {
    const run = runSpeech(plan, timeStretch);
    return { ...scoreAudio(run.audio, run.startUs, plan.timeline), stats: run.stats };
  };
  const expanded = score(true);
  const wholeFrame = score(false);

  it('conceals each burst as the speech before it, fading: a lower log-spectral distance than the decoder fading to silence', () => {
    expect(expanded.stats.lost).toBe(wholeFrame.stats.lost);
    expect(expanded.stats.lost).toBeGreaterThanOrEqual(6 * BURST_PACKETS);
    expect(expanded.log_spectral_distance_db).toBeLessThan(0.85 * wholeFrame.log_spectral_distance_db);
  });

  it('fades speech back in after each burst: no click where it resumes, and no added delay', () => {
    // The decoder's concealment is silent by then and cross-fades nothing: the whole-frame buffer
    // starts the packet after each burst mid-vowel at full level, a click.
    expect(wholeFrame.clicks_per_min).toBeGreaterThan(0);
    expect(expanded.clicks_per_min).toBe(0);
    expect(expanded.mean_delay_ms).toBeLessThanOrEqual(wholeFrame.mean_delay_ms + 1);
  });
});

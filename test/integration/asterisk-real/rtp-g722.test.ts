import { describe, expect, it } from 'vitest';
import { realAsteriskPerFile } from '../../support/asterisk/real-pbx.js';
import { checkTransport } from './transport-check.js';

describe('real Asterisk: ExternalMedia RTP g722', () => {
  const env = realAsteriskPerFile();

  it('carries a tone and speech both ways and leaves nothing behind', async () => {
    const measure = await checkTransport(env, { transport: 'rtp', format: 'g722' }, 'rtp/g722');
    expect(measure.toBotToneSnrDb).toBeGreaterThan(20);
    expect(measure.toCallerToneSnrDb).toBeGreaterThan(20);
    expect(measure.toBotSpeech).toBeGreaterThan(0.8);
    expect(measure.toCallerSpeech).toBeGreaterThan(0.8);
  });
});

import { describe, expect, it } from 'vitest';
import { realAsteriskPerFile } from '../../support/asterisk/real-pbx.js';
import { checkTransport } from './transport-check.js';

describe('real Asterisk: ExternalMedia RTP ulaw', () => {
  const env = realAsteriskPerFile();

  it('carries a tone and speech both ways and leaves nothing behind', async () => {
    const measure = await checkTransport(env, { transport: 'rtp', format: 'ulaw' }, 'rtp/ulaw');
    expect(measure.toBotToneSnrDb).toBeGreaterThan(25);
    expect(measure.toCallerToneSnrDb).toBeGreaterThan(25);
    expect(measure.toBotSpeech).toBeGreaterThan(0.8);
    expect(measure.toCallerSpeech).toBeGreaterThan(0.8);
  });
});

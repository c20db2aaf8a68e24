// G.722 needs the native G.722 codec ("G722", PT 9) from the codec work (h-g722); the double's
// side is spandsp's G.722.
import { describe, expect, it } from 'vitest';
import { renderSpeech } from '../../support/speech.js';
import { BOT_TEXT, harnessPerTest, twoWayCall } from './asterisk-harness.js';

describe('ExternalMedia RTP format g722', () => {
  const harnesses = harnessPerTest();

  it('carries wideband g722 both ways with payload type 9', async () => {
    const harness = await harnesses.start({ config: { format: 'g722' }, botSays: renderSpeech(BOT_TEXT, { rateHz: 16000 }) });
    const result = await twoWayCall(harness, 16000);
    expect(harness.ari.requests.find((r) => r.nickname === 'channels.externalMedia')!.query.format).toBe('g722');
    const endpoint = [...harness.ari.rtpEndpoints.values()][0]!;
    expect(endpoint.wrongPayloadType).toBe(0);
    expect(endpoint.received[0]!.payloadType).toBe(9);
    // G.722 is ADPCM: waveform-faithful but lossier than G.711 on speech.
    expect(result.toBot).toBeGreaterThan(0.8);
    expect(result.toCaller).toBeGreaterThan(0.8);
  });
});
